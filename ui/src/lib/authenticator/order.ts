// Manual ordering: where a row lands when moved up or down (keyboard or buttons) or dragged,
// in the indices of the full list — the search may hide rows, and moving a row among the
// visible ones must place it next to its visible neighbour, not at a hidden row's index.

/** The full-list index to move `id` to so it swaps places with its visible neighbour
 *  (`delta` -1 up, +1 down), or null when it is already first/last among the visible rows. */
export function moveTarget(allIds: string[], visibleIds: string[], id: string, delta: -1 | 1): number | null {
  const v = visibleIds.indexOf(id);
  const neighbour = visibleIds[v + delta];
  if (v < 0 || neighbour === undefined) return null;
  return allIds.indexOf(neighbour);
}

/** The list with `id` moved to `index` (what Rust's `move_account` does), for an optimistic
 *  update while the call runs. */
export function moved<T extends { id: string }>(rows: T[], id: string, index: number): T[] {
  const from = rows.findIndex((r) => r.id === id);
  if (from < 0) return rows;
  const copy = rows.slice();
  const [row] = copy.splice(from, 1);
  copy.splice(Math.min(Math.max(index, 0), copy.length), 0, row);
  return copy;
}

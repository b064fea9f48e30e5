// Which rows of a long fixed-height list to put in the DOM: only those in view plus a margin,
// so 10,000 directory entries cost as much to draw as 30.

export interface RowWindow {
  /** First row rendered (inclusive). */
  start: number;
  /** Last row rendered + 1. */
  end: number;
  /** Pixels above the first rendered row (its `translateY`). */
  offset: number;
  /** Height of the whole list, for the scroll bar. */
  height: number;
}

export function rowWindow(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 8): RowWindow {
  const height = Math.max(0, total * rowHeight);
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0, height };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.max(0, Math.min(total - 1, first - overscan));
  const end = Math.min(total, first + visible + overscan);
  return { start, end, offset: start * rowHeight, height };
}

/** The scrollTop that brings `row` into view, or undefined when it already is. */
export function scrollToReveal(row: number, scrollTop: number, viewport: number, rowHeight: number): number | undefined {
  const top = row * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return undefined;
}

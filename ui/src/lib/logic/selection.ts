// Multi-selection by key, as list views do it: click toggles one, Shift+click selects the
// range from the last clicked key (in the order the caller gives), select-all and clear.
// Keys survive paging: a selected row scrolled out of view stays selected.

export class Selection {
  private keys = new Set<string>();
  private anchor: string | undefined;

  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  values(): string[] {
    return [...this.keys];
  }

  toggle(key: string): void {
    if (this.keys.has(key)) this.keys.delete(key);
    else this.keys.add(key);
    this.anchor = key;
  }

  /** Selects every key between the anchor and `key` in `order` (inclusive). Without an
   *  anchor in `order`, behaves like `toggle`. */
  extendTo(key: string, order: readonly string[]): void {
    const from = this.anchor === undefined ? -1 : order.indexOf(this.anchor);
    const to = order.indexOf(key);
    if (from < 0 || to < 0) {
      this.toggle(key);
      return;
    }
    const [lo, hi] = from <= to ? [from, to] : [to, from];
    for (let i = lo; i <= hi; i++) this.keys.add(order[i]);
    this.anchor = key;
  }

  setAll(keys: readonly string[]): void {
    this.keys = new Set(keys);
    this.anchor = undefined;
  }

  clear(): void {
    this.keys.clear();
    this.anchor = undefined;
  }

  /** Drops keys no longer present (after the list was reloaded). */
  retain(present: readonly string[]): void {
    const keep = new Set(present);
    for (const key of [...this.keys]) if (!keep.has(key)) this.keys.delete(key);
  }
}

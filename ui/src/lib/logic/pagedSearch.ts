// A server-side search shown as one long list: pages are fetched as their rows come into
// view and kept until the query changes. Answers to an older query are dropped, so typing
// fast never shows results of a previous keystroke.

export interface Page<T> {
  total: number;
  items: T[];
}

export type PageFetcher<T> = (query: string, offset: number, limit: number) => Promise<Page<T>>;

export class PagedSearch<T> {
  readonly pageSize: number;
  query = "";
  /** Rows matching the query; undefined until the first page answered. */
  total: number | undefined = undefined;
  error: unknown = undefined;
  private pages = new Map<number, T[]>();
  private inFlight = new Set<number>();
  private generation = 0;

  constructor(
    private readonly fetch: PageFetcher<T>,
    private readonly onChange: () => void,
    pageSize = 100,
  ) {
    this.pageSize = pageSize;
  }

  /** Starts a new search; returns when its first page is in (or failed). */
  async search(query: string): Promise<void> {
    this.generation++;
    this.query = query;
    this.pages.clear();
    this.inFlight.clear();
    this.total = undefined;
    this.error = undefined;
    this.onChange();
    await this.load(0);
  }

  /** The row at `index`, or undefined while its page loads. */
  row(index: number): T | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  get loading(): boolean {
    return this.inFlight.size > 0;
  }

  /** Fetches the pages covering rows [start, end) that are neither loaded nor loading. */
  ensure(start: number, end: number): void {
    if (this.total === undefined) return;
    const last = Math.min(end, this.total) - 1;
    for (let p = Math.floor(Math.max(0, start) / this.pageSize); p <= Math.floor(last / this.pageSize); p++) {
      if (!this.pages.has(p) && !this.inFlight.has(p)) void this.load(p);
    }
  }

  private async load(page: number): Promise<void> {
    const generation = this.generation;
    this.inFlight.add(page);
    try {
      const answer = await this.fetch(this.query, page * this.pageSize, this.pageSize);
      if (generation !== this.generation) return;
      this.total = answer.total;
      this.pages.set(page, answer.items);
    } catch (e) {
      if (generation !== this.generation) return;
      this.error = e;
    } finally {
      if (generation === this.generation) {
        this.inFlight.delete(page);
        this.onChange();
      }
    }
  }
}

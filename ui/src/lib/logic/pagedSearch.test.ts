import { describe, expect, it } from "vitest";
import { PagedSearch, type Page } from "./pagedSearch";

/** A directory of `n` names with controllable answers. */
function directory(n: number) {
  const names = Array.from({ length: n }, (_, i) => `user${String(i).padStart(5, "0")}`);
  const calls: Array<{ query: string; offset: number; limit: number; resolve: () => void }> = [];
  const fetch = (query: string, offset: number, limit: number) =>
    new Promise<Page<string>>((resolve) => {
      const matching = names.filter((x) => x.includes(query));
      calls.push({ query, offset, limit, resolve: () => resolve({ total: matching.length, items: matching.slice(offset, offset + limit) }) });
    });
  return { fetch, calls };
}

describe("PagedSearch", () => {
  it("loads the first page, then only the pages that come into view", async () => {
    const dir = directory(10_000);
    const s = new PagedSearch(dir.fetch, () => {}, 100);
    const first = s.search("");
    dir.calls[0].resolve();
    await first;
    expect(s.total).toBe(10_000);
    expect(s.row(0)).toBe("user00000");
    expect(s.row(150)).toBeUndefined();
    s.ensure(5_020, 5_060);
    expect(dir.calls.map((c) => c.offset)).toEqual([0, 5_000]);
    s.ensure(5_020, 5_060);
    expect(dir.calls.length).toBe(2);
    dir.calls[1].resolve();
    await Promise.resolve();
    await Promise.resolve();
    expect(s.row(5_050)).toBe("user05050");
  });

  it("drops an answer to an older query that arrives after a newer one", async () => {
    const dir = directory(1_000);
    const s = new PagedSearch(dir.fetch, () => {}, 100);
    const old = s.search("user0");
    const fresh = s.search("user00999");
    dir.calls[1].resolve();
    await fresh;
    dir.calls[0].resolve();
    await old;
    expect(s.query).toBe("user00999");
    expect(s.total).toBe(1);
    expect(s.row(0)).toBe("user00999");
  });

  it("keeps the error of a failed page for the view to show", async () => {
    const s = new PagedSearch<string>(() => Promise.reject(new Error("down")), () => {}, 100);
    await s.search("x");
    expect((s.error as Error).message).toBe("down");
    expect(s.loading).toBe(false);
  });
});

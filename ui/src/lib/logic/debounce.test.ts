import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { debounce } from "./debounce";

describe("debounce", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs once with the last arguments after the keystrokes stop", () => {
    const seen: string[] = [];
    const search = debounce((q: string) => seen.push(q), 150);
    search("a");
    vi.advanceTimersByTime(100);
    search("al");
    vi.advanceTimersByTime(100);
    search("ali");
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(150);
    expect(seen).toEqual(["ali"]);
  });

  it("flush runs the pending call at once and cancel drops it", () => {
    const seen: string[] = [];
    const search = debounce((q: string) => seen.push(q), 150);
    search("bob");
    expect(search.pending).toBe(true);
    search.flush();
    expect(seen).toEqual(["bob"]);
    expect(search.pending).toBe(false);
    search("carol");
    search.cancel();
    vi.advanceTimersByTime(500);
    expect(seen).toEqual(["bob"]);
  });
});

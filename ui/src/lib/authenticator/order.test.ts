import { describe, expect, it } from "vitest";
import { moved, moveTarget } from "./order";

describe("moveTarget", () => {
  const all = ["a", "b", "c", "d"];
  it("swaps with the visible neighbour", () => {
    expect(moveTarget(all, all, "b", -1)).toBe(0);
    expect(moveTarget(all, all, "b", 1)).toBe(2);
  });
  it("jumps over rows the search hides", () => {
    expect(moveTarget(all, ["a", "d"], "d", -1)).toBe(0);
  });
  it("has nowhere to go at the ends", () => {
    expect(moveTarget(all, all, "a", -1)).toBeNull();
    expect(moveTarget(all, all, "d", 1)).toBeNull();
  });
});

describe("moved", () => {
  it("moves like the vault does", () => {
    const rows = ["a", "b", "c"].map((id) => ({ id }));
    expect(moved(rows, "c", 0).map((r) => r.id)).toEqual(["c", "a", "b"]);
    expect(moved(rows, "a", 9).map((r) => r.id)).toEqual(["b", "c", "a"]);
  });
});

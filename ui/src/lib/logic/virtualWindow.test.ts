import { describe, expect, it } from "vitest";
import { rowWindow, scrollToReveal } from "./virtualWindow";

describe("rowWindow", () => {
  it("renders only the rows in view plus the overscan out of 10,000", () => {
    const w = rowWindow(36_000, 400, 40, 10_000, 5);
    expect(w.start).toBe(895);
    expect(w.end).toBe(900 + 11 + 5);
    expect(w.end - w.start).toBeLessThan(30);
    expect(w.offset).toBe(895 * 40);
    expect(w.height).toBe(400_000);
  });

  it("clamps at the top, at the end and for an empty list", () => {
    expect(rowWindow(0, 400, 40, 10_000, 5).start).toBe(0);
    const end = rowWindow(10_000_000, 400, 40, 100, 5);
    expect(end.end).toBe(100);
    expect(end.start).toBeLessThan(100);
    expect(rowWindow(0, 400, 40, 0)).toEqual({ start: 0, end: 0, offset: 0, height: 0 });
  });
});

describe("scrollToReveal", () => {
  it("scrolls up or down just enough and leaves a visible row alone", () => {
    expect(scrollToReveal(2, 200, 400, 40)).toBe(80);
    expect(scrollToReveal(20, 200, 400, 40)).toBe(20 * 40 + 40 - 400);
    expect(scrollToReveal(7, 200, 400, 40)).toBeUndefined();
  });
});

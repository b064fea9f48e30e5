import { describe, expect, it } from "vitest";
import { Selection } from "./selection";

const order = ["a", "b", "c", "d", "e"];

describe("Selection", () => {
  it("toggles single keys on and off", () => {
    const s = new Selection();
    s.toggle("b");
    s.toggle("d");
    expect(s.values().sort()).toEqual(["b", "d"]);
    s.toggle("b");
    expect(s.values()).toEqual(["d"]);
  });

  it("shift-extends from the last toggled key in either direction", () => {
    const s = new Selection();
    s.toggle("d");
    s.extendTo("b", order);
    expect(s.values().sort()).toEqual(["b", "c", "d"]);
  });

  it("extending without an anchor toggles the key", () => {
    const s = new Selection();
    s.extendTo("c", order);
    expect(s.values()).toEqual(["c"]);
  });

  it("retain drops keys that left the list and keeps the rest", () => {
    const s = new Selection();
    s.setAll(["a", "b", "c"]);
    s.retain(["b", "c", "x"]);
    expect(s.values().sort()).toEqual(["b", "c"]);
  });
});

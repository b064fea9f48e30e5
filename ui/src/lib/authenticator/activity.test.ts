import { describe, expect, it } from "vitest";
import { ActivityReporter } from "./activity";

describe("ActivityReporter", () => {
  it("reports the first poke at once and then at most one per gap", () => {
    let clock = 1000;
    let sent = 0;
    const r = new ActivityReporter(() => sent++, 2000, () => clock);
    r.poke();
    expect(sent).toBe(1);
    for (let i = 0; i < 100; i++) { clock += 10; r.poke(); } // a pointer move every 10 ms for 1 s
    expect(sent).toBe(1);
    clock = 3000;
    r.poke();
    expect(sent).toBe(2);
  });

  it("reports the next poke at once after a reset (just unlocked)", () => {
    let sent = 0;
    const r = new ActivityReporter(() => sent++, 2000, () => 5000);
    r.poke();
    r.reset();
    r.poke();
    expect(sent).toBe(2);
  });
});

import { describe, expect, it } from "vitest";
import { msToNextSecond, SecondTicker, TICK_OFFSET_MS, type Timers } from "./clock";

/** Timers over a fake wall clock the test moves by hand; callbacks run when time reaches them. */
class FakeTimers implements Timers {
  nowMs = 0;
  private queue: Array<{ at: number; f: () => void; id: number }> = [];
  private nextId = 1;
  now = () => this.nowMs;
  setTimeout = (f: () => void, ms: number) => {
    const id = this.nextId++;
    this.queue.push({ at: this.nowMs + ms, f, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.queue = this.queue.filter((t) => t.id !== id);
  };
  /** Runs the earliest timer, first moving the clock to it plus `lateMs` (a busy thread). */
  runNext(lateMs = 0) {
    this.queue.sort((a, b) => a.at - b.at);
    const t = this.queue.shift();
    if (!t) throw new Error("no timer");
    this.nowMs = Math.max(this.nowMs, t.at) + lateMs;
    t.f();
  }
}

describe("msToNextSecond", () => {
  it("waits to just after the next whole second", () => {
    expect(msToNextSecond(1_000)).toBe(1000 + TICK_OFFSET_MS);
    expect(msToNextSecond(1_999)).toBe(1 + TICK_OFFSET_MS);
    expect(msToNextSecond(1_500)).toBe(500 + TICK_OFFSET_MS);
  });
});

describe("SecondTicker", () => {
  it("does not drift when callbacks run late", () => {
    const timers = new FakeTimers();
    timers.nowMs = 10_400;
    const ticks: number[] = [];
    const ticker = new SecondTicker((now) => ticks.push(now), timers);
    ticker.start();
    for (let i = 0; i < 50; i++) timers.runNext(37); // every callback 37 ms late
    // Every tick is within one lateness of a whole second: errors do not add up.
    for (const t of ticks) expect(t % 1000).toBe(TICK_OFFSET_MS + 37);
    expect(Math.floor(ticks[49] / 1000)).toBe(60);
  });

  it("picks up a clock change at the next tick", () => {
    const timers = new FakeTimers();
    timers.nowMs = 1_000_000;
    const ticks: number[] = [];
    const ticker = new SecondTicker((now) => ticks.push(now), timers);
    ticker.start();
    timers.runNext();
    timers.nowMs += 3_600_000; // the clock jumps an hour ahead
    timers.runNext();
    expect(ticks[1] - ticks[0]).toBeGreaterThanOrEqual(3_600_000);
    timers.runNext();
    expect(ticks[2] % 1000).toBe(TICK_OFFSET_MS);
  });

  it("stops ticking when stopped and ticks at once on demand", () => {
    const timers = new FakeTimers();
    const ticks: number[] = [];
    const ticker = new SecondTicker((now) => ticks.push(now), timers);
    ticker.start();
    ticker.tickNow();
    expect(ticks).toHaveLength(1);
    ticker.stop();
    expect(() => timers.runNext()).toThrow("no timer");
  });
});

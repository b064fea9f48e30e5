// A once-a-second tick scheduled from the wall clock: each wait is computed afresh to the
// next whole second of Date.now(), so ticks never drift (no accumulated setInterval error)
// and a clock change is seen at the next tick. Also ticks at once when the window becomes
// visible again (browsers slow timers in hidden windows).

export interface Timers {
  now: () => number;
  setTimeout: (f: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Ticks land this long after the second changes, so that rounding never puts a tick just
 *  before the boundary (which would show the old second twice). */
export const TICK_OFFSET_MS = 15;

/** Milliseconds from `nowMs` to just after the next whole second. */
export function msToNextSecond(nowMs: number): number {
  return 1000 - (nowMs % 1000) + TICK_OFFSET_MS;
}

export class SecondTicker {
  private handle: unknown = null;
  private running = false;

  constructor(
    private readonly onTick: (nowMs: number) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  start() {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop() {
    this.running = false;
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
  }

  /** Ticks now and reschedules (window shown again, clock change suspected). */
  tickNow() {
    if (!this.running) return;
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.onTick(this.timers.now());
    this.schedule();
  }

  private schedule() {
    this.handle = this.timers.setTimeout(() => {
      this.handle = null;
      if (!this.running) return;
      this.onTick(this.timers.now());
      this.schedule();
    }, msToNextSecond(this.timers.now()));
  }
}

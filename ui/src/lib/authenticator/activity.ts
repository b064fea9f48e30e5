// Telling Rust that the user is using the window, so the app lock's idle time starts again:
// every key press, click or pointer move counts, but at most one call per `gapMs` goes out
// (pointer moves come by the hundred). Rust decides when the idle time is over.

export class ActivityReporter {
  private last = -Infinity;

  constructor(
    private readonly send: () => void,
    private readonly gapMs = 2000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Something happened in the window; reported unless one went out less than `gapMs` ago. */
  poke(): void {
    const at = this.now();
    if (at - this.last < this.gapMs) return;
    this.last = at;
    this.send();
  }

  /** After unlocking: the next poke is reported at once. */
  reset(): void {
    this.last = -Infinity;
  }
}

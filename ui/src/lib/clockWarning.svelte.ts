// The app's last comparison of its clock with the portal's, shared by both modes: Admin mode
// checks when it connects and the Loop check before each run; Authenticator mode checks when
// it opens. Rust decides whether it is skewed and against which portal (the Admin
// connection's; none known gives null, and nothing is shown).

import { loopCheckApi, type ClockCheck } from "./api/loopCheck";

export const clock = $state({ check: null as ClockCheck | null });

/** Asks Rust to compare the clocks again. A failure keeps the last answer: this is advice. */
export async function checkClock(): Promise<void> {
  try {
    clock.check = await loopCheckApi.clockCheck();
  } catch {
    // No window backend (tests of the page alone) or an old build: nothing to warn about.
  }
}

/** A comparison made elsewhere (the loop check's, before it runs). */
export function setClock(check: ClockCheck): void {
  clock.check = check;
}

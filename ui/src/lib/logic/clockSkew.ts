// The clock warning's words: which way this computer's clock is off from the portal's and by
// how much ("2 min 0 s behind"), written from the numbers Rust measured (ClockCheck), never
// from an English sentence. Whether to warn at all is Rust's call (`skewed`, with the
// tolerance of the loop check's clock step).

import type { ClockCheck } from "../api/loopCheck";

type Translate = (key: string, params?: Record<string, string | number>) => string;

/** `secs` (absolute, rounded to the second) as "45 s", "2 min 0 s", "1 h 3 min". */
export function formatAmount(secs: number, t: Translate): string {
  const total = Math.round(Math.abs(secs));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return t("clock.amount_h", { h, m });
  if (m > 0) return t("clock.amount_min", { m, s });
  return t("clock.amount_s", { s });
}

/** The warning for `check`, or null when the clocks agree well enough (or nothing is known).
 *  `offset_secs` is the portal minus this computer: positive means this computer is behind. */
export function clockWarning(check: ClockCheck | null, t: Translate): string | null {
  if (!check || !check.skewed) return null;
  const amount = formatAmount(check.offset_secs, t);
  return t(check.offset_secs > 0 ? "clock.behind" : "clock.ahead", { amount });
}

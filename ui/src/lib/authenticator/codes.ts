// What a row shows at a given second, computed from the list Rust sent (codes for the second
// `at`, plus each TOTP row's next code) and the wall clock now: the code of the current
// period, the countdown, and the next code in the last seconds. When a period ends the row
// switches to the next code Rust already sent — no wait for a round trip, so no flicker — and
// the list is fetched again; a clock change (or a long sleep) shows no stale code at all.

import type { AccountCode } from "./types";

/** Splits a code for reading, like twofold-core's `group_code`: 123 456, 123 4567, 1234 5678. */
export function groupCode(code: string): string {
  const chars = [...code];
  if (chars.length <= 4) return code;
  const split = Math.floor(chars.length / 2);
  return `${chars.slice(0, split).join("")} ${chars.slice(split).join("")}`;
}

/** The period number (RFC 6238's T) of `unix` seconds. */
export function timeStep(unix: number, period: number): number {
  return Math.floor(unix / period);
}

/** Seconds until the code changes: 1..=period. */
export function secondsLeft(unix: number, period: number): number {
  return period - (Math.floor(unix) % period);
}

/** Whether the next code is shown: during the last `window` seconds of a period. */
export function showsNext(left: number, window: number): boolean {
  return left <= window;
}

export interface RowView {
  /** The grouped code to show now, or null (HOTP before "next code", keyring trouble, stale). */
  grouped: string | null;
  code: string | null;
  /** Seconds left in the period (TOTP and Steam). */
  left: number | null;
  period: number | null;
  /** The grouped next code, only during the last `window` seconds. */
  nextGrouped: string | null;
}

/** What `row` (fetched for second `at`) shows at second `now`. */
export function rowAt(row: AccountCode, at: number, now: number, window: number): RowView {
  if (row.kind === "hotp" || row.period === null) {
    return { grouped: row.grouped, code: row.code, left: null, period: null, nextGrouped: null };
  }
  const period = row.period;
  const left = secondsLeft(now, period);
  const ahead = timeStep(now, period) - timeStep(at, period);
  let code: string | null = null;
  let grouped: string | null = null;
  let nextGrouped: string | null = null;
  if (ahead === 0) {
    [code, grouped] = [row.code, row.grouped];
    nextGrouped = showsNext(left, window) ? row.next_grouped : null;
  } else if (ahead === 1) {
    // The period Rust computed as "next" has begun; its own next code is not known yet.
    [code, grouped] = [row.next_code, row.next_grouped];
  }
  return { grouped, code, left, period, nextGrouped };
}

/** Whether the list fetched for second `at` is out of date at `now`: a period ended for some
 *  row, or the clock went back. */
export function needsRefetch(rows: AccountCode[], at: number, now: number): boolean {
  if (now < at) return true;
  return rows.some((r) => r.kind !== "hotp" && r.period !== null && r.code !== null && timeStep(now, r.period) !== timeStep(at, r.period));
}

// How Admin data reads on screen: license status → tone + text, a covered user's state →
// badge, audit actions → words. Pure functions over the message catalogue, so the wording
// is tested without a window.

import type { AuditEntry, CoveredUser, DirectoryHealth, LicenseStatus } from "../api/types";

export type Tone = "ok" | "warn" | "bad" | "neutral";
type Translate = (key: string, params?: Record<string, string | number>) => string;
type DateFmt = (unix: number) => string;

export interface LicenseView {
  tone: Tone;
  title: string;
  detail: string;
}

/** The directory box beside the license: where users sign in against, and whether it
 *  answered the portal just now. A portal too old to say is shown as nothing. */
export interface DirectoryView extends LicenseView {
  /** The portal's reason, when it does not answer. */
  problem?: string;
}

export function directoryView(directory: DirectoryHealth | null | undefined, t: Translate): DirectoryView | null {
  if (!directory) return null;
  if (directory.kind === "builtin") {
    return { tone: "neutral", title: t("directory.builtin.title"), detail: t("directory.builtin.detail") };
  }
  const where = directory.url ?? directory.kind;
  return directory.answering
    ? { tone: "ok", title: t("directory.answering.title"), detail: where }
    : { tone: "bad", title: t("directory.down.title"), detail: t("directory.down.detail", { where }), problem: directory.problem ?? "" };
}

export function licenseView(license: LicenseStatus, t: Translate, date: DateFmt): LicenseView {
  const seats = { used: license.seats_used, total: license.seats };
  switch (license.status) {
    case "evaluation":
      return {
        tone: license.seats_used >= license.seats ? "warn" : "neutral",
        title: t("license.evaluation.title"),
        detail: t("license.evaluation.detail", seats),
      };
    case "valid":
      return {
        tone: "ok",
        title: t("license.valid.title", { licensee: license.licensee }),
        detail: t("license.valid.detail", { ...seats, date: date(license.expires) }),
      };
    case "expired":
      return {
        tone: "bad",
        title: t("license.expired.title", { licensee: license.licensee }),
        detail: t("license.expired.detail", { date: date(license.expired), ...seats }),
      };
    case "over_seats":
      return {
        tone: "bad",
        title: t("license.over_seats.title", { licensee: license.licensee }),
        detail: t("license.over_seats.detail", { ...seats, date: date(license.expires) }),
      };
    case "invalid":
      return {
        tone: "bad",
        title: t("license.invalid.title"),
        detail: t("license.invalid.detail", { reason: license.reason, ...seats }),
      };
  }
}

export interface UserStateView {
  tone: Tone;
  label: string;
  /** The longer explanation (tooltip / second line). */
  hint: string;
}

export function userStateView(user: CoveredUser, t: Translate, time: DateFmt): UserStateView {
  if (user.locked) {
    return {
      tone: "bad",
      label: t("users.state.locked"),
      hint: user.locked_until ? t("users.state.locked_until", { time: time(user.locked_until) }) : t("users.state.locked_hint"),
    };
  }
  switch (user.state) {
    case "active":
      return { tone: "ok", label: t("users.state.active"), hint: t("users.state.active_hint") };
    case "pending":
      return { tone: "warn", label: t("users.state.pending"), hint: t("users.state.pending_hint") };
    case "none":
      return { tone: "neutral", label: t("users.state.none"), hint: t("users.state.none_hint") };
  }
}

export function lastSignInText(user: CoveredUser, t: Translate, time: DateFmt): string {
  return user.last_sign_in ? time(user.last_sign_in) : t("users.never_signed_in");
}

/** An audit action in words; unknown actions (newer portal) show as they are. */
export function auditActionText(entry: AuditEntry, t: Translate): string {
  const key = `audit.action.${entry.action.replace(/\./g, "_")}`;
  const text = t(key);
  return text === key ? entry.action : text;
}

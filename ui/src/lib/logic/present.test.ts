import { describe, expect, it } from "vitest";
import { translate } from "../i18n";
import { auditActionText, directoryView, lastSignInText, licenseView, userStateView } from "./present";

const t = (key: string, params?: Record<string, string | number>) => translate("en", key, params);
const date = (unix: number) => new Date(unix * 1000).toISOString().slice(0, 10);

describe("licenseView", () => {
  it("shows seats used of total and the expiry of a valid license", () => {
    const v = licenseView({ status: "valid", licensee: "ACME", seats_used: 12, seats: 50, expires: 1_830_211_200 }, t, date);
    expect(v.tone).toBe("ok");
    expect(v.title).toContain("ACME");
    expect(v.detail).toContain("12");
    expect(v.detail).toContain("50");
    expect(v.detail).toContain("2027-12-31");
  });

  it("marks expired, over seats and invalid licenses as problems with their reason", () => {
    expect(licenseView({ status: "expired", licensee: "A", seats_used: 1, seats: 5, expired: 0 }, t, date).tone).toBe("bad");
    expect(licenseView({ status: "over_seats", licensee: "A", seats_used: 9, seats: 5, expires: 0 }, t, date).tone).toBe("bad");
    const invalid = licenseView({ status: "invalid", reason: "bad signature", seats_used: 1, seats: 5 }, t, date);
    expect(invalid.tone).toBe("bad");
    expect(invalid.detail).toContain("bad signature");
  });

  it("warns when the evaluation's seats are all used", () => {
    expect(licenseView({ status: "evaluation", seats_used: 5, seats: 5 }, t, date).tone).toBe("warn");
    expect(licenseView({ status: "evaluation", seats_used: 2, seats: 5 }, t, date).tone).toBe("neutral");
  });
});

describe("userStateView", () => {
  const base = { username: "bob", failures: 0, locked: false, state: "active" as const };

  it("a lock outranks the enrollment state", () => {
    expect(userStateView({ ...base, locked: true, locked_until: 100 }, t, date).label).toBe(t("users.state.locked"));
  });

  it("names enrolled, pending and not enrolled users differently", () => {
    const labels = (["active", "pending", "none"] as const).map((state) => userStateView({ ...base, state }, t, date).label);
    expect(new Set(labels).size).toBe(3);
  });

  it("a user who never signed in says so", () => {
    expect(lastSignInText({ ...base, last_sign_in: null }, t, date)).toBe(t("users.never_signed_in"));
  });
});

describe("auditActionText", () => {
  it("words known actions and shows unknown ones as they are", () => {
    expect(auditActionText({ id: 1, at: 0, actor: "a", action: "user.reset" }, t)).not.toBe("user.reset");
    expect(auditActionText({ id: 1, at: 0, actor: "a", action: "new.thing" }, t)).toBe("new.thing");
  });
});

describe("directoryView", () => {
  it("names the built-in directory without a state to watch", () => {
    const v = directoryView({ kind: "builtin", answering: true }, t);
    expect(v).toEqual({ tone: "neutral", title: "Built-in directory", detail: "The portal's own users and groups" });
  });

  it("shows an answering LDAP directory by its URL, in the ok tone", () => {
    const v = directoryView({ kind: "ldap", url: "ldaps://dc.example.com", answering: true }, t);
    expect(v).toEqual({ tone: "ok", title: "Directory answers", detail: "ldaps://dc.example.com" });
  });

  it("says a directory that does not answer refuses sign-ins, with where and why, in the bad tone", () => {
    const v = directoryView({ kind: "ldap", url: "ldap://127.0.0.1:389", answering: false, problem: "connecting: refused" }, t);
    expect(v?.tone).toBe("bad");
    expect(v?.title).toBe("Directory does not answer");
    expect(v?.detail).toContain("ldap://127.0.0.1:389");
    expect(v?.detail).toContain("sign-ins are refused");
    expect(v?.problem).toBe("connecting: refused");
  });

  it("shows nothing for a portal too old to report its directory", () => {
    expect(directoryView(undefined, t)).toBeNull();
  });
});

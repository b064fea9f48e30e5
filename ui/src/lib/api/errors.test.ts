import { describe, expect, it } from "vitest";
import { translate } from "../i18n";
import { CANNOT_SERVE_NOW, losesConnection, portalCannotServeNow, refusalText, toUiError } from "./errors";

describe("toUiError", () => {
  it("keeps a serialized SessionError as it is", () => {
    const e = toUiError({ kind: "server", message: "the portal refused: seat limit (HTTP 403)", status: 403 });
    expect(e).toEqual({ kind: "server", message: "the portal refused: seat limit (HTTP 403)", status: 403, code: null, params: {} });
  });

  it("turns anything else into an internal error with its text", () => {
    expect(toUiError(new Error("boom"))).toEqual({ kind: "internal", message: "boom" });
    expect(toUiError("command admin_x not allowed").kind).toBe("internal");
    expect(toUiError({ kind: "made_up" }).kind).toBe("internal");
  });
});

describe("losesConnection", () => {
  it("sends wrong token, unreachable and TLS errors back to the Connection screen, not a refused action", () => {
    expect(losesConnection({ kind: "unauthorized", message: "" })).toBe(true);
    expect(losesConnection({ kind: "unreachable", message: "" })).toBe(true);
    expect(losesConnection({ kind: "tls", message: "" })).toBe(true);
    expect(losesConnection({ kind: "server", message: "", status: 403 })).toBe(false);
  });
});

describe("refusalText", () => {
  const en = (key: string, params?: Record<string, string | number>) => translate("en", key, params);
  const fr = (key: string, params?: Record<string, string | number>) => translate("fr", key, params);

  it("writes the sentence from the portal's code and params, in the UI's language, ignoring its English", () => {
    const e = toUiError({ kind: "server", message: "whatever the portal says", status: 403, code: "seat_limit", params: { seats_after: "6", limit: "5" } });
    expect(refusalText(e, en)).toBe("6 users would need 2FA, but the license allows 5.");
    expect(refusalText(e, fr)).toBe("6 utilisateurs auraient besoin de la 2FA, mais la licence en autorise 5.");
  });

  it("falls back to the portal's message, as a sentence, for a code this build does not know", () => {
    const e = toUiError({ kind: "server", message: "a newer portal's reason", status: 400, code: "from_the_future", params: {} });
    expect(refusalText(e, en)).toBe("A newer portal's reason.");
    expect(refusalText({ kind: "server", message: "" }, en)).toBe("");
  });

  it("keeps only string params", () => {
    const e = toUiError({ kind: "server", message: "m", code: "user_not_found", params: { user: "bob", n: 3 } });
    expect(e.params).toEqual({ user: "bob" });
    expect(refusalText(e, en)).toBe("There is no user named “bob”.");
  });
});

describe("portalCannotServeNow", () => {
  const refused = (status: number, code: string) => toUiError({ kind: "server", message: "", status, code, params: {} });

  it("is a 503 whose code says the database or the directory does not answer, not a busy listener or a refusal", () => {
    expect(portalCannotServeNow(refused(503, "database_unavailable"))).toBe(true);
    expect(portalCannotServeNow(refused(503, "directory_unavailable"))).toBe(true);
    expect(portalCannotServeNow(refused(503, "too_busy"))).toBe(false);
    expect(portalCannotServeNow(refused(403, "seat_limit"))).toBe(false);
    expect(portalCannotServeNow({ kind: "unreachable", message: "", status: 503, code: "database_unavailable" })).toBe(false);
  });

  it("has a banner title and hint in every language for each of those codes", () => {
    for (const lang of ["en", "fr"] as const) {
      for (const code of CANNOT_SERVE_NOW) {
        for (const part of ["title", "hint"]) {
          const key = `unavailable.${code}.${part}`;
          expect(translate(lang, key, { seconds: 5 }), `${lang} ${key}`).not.toBe(key);
        }
      }
    }
  });
});

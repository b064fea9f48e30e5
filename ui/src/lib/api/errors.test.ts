import { describe, expect, it } from "vitest";
import { losesConnection, refusalReason, toUiError } from "./errors";

describe("toUiError", () => {
  it("keeps a serialized SessionError as it is", () => {
    const e = toUiError({ kind: "server", message: "the portal refused: seat limit (HTTP 403)", status: 403 });
    expect(e).toEqual({ kind: "server", message: "the portal refused: seat limit (HTTP 403)", status: 403 });
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

describe("refusalReason", () => {
  it("keeps only what the portal said, as a sentence", () => {
    const e = { kind: "server" as const, message: "the portal refused: refused: 5 users would need 2FA, the license allows 3 (HTTP 403)", status: 403 };
    expect(refusalReason(e)).toBe("5 users would need 2FA, the license allows 3.");
    expect(refusalReason({ kind: "server", message: "the license file is not valid: the license signature does not match" })).toBe(
      "The license file is not valid: the license signature does not match.",
    );
    expect(refusalReason({ kind: "server", message: "" })).toBe("");
  });
});

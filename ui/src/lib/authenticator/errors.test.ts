import { describe, expect, it } from "vitest";
import en from "../i18n/en.json";
import fr from "../i18n/fr.json";
import { translate } from "../i18n";
import { errorDetail, errorKey, fieldErrors, isKeyringError, KNOWN_KINDS } from "./errors";

describe("errors", () => {
  it("every kind Rust sends has a headline in English and French", () => {
    for (const kind of KNOWN_KINDS) {
      const key = errorKey({ kind, message: "", fields: [] });
      expect(translate("en", key), key).not.toBe(key);
      expect(translate("fr", key), key).not.toBe(key);
    }
    expect(en).toBeTruthy();
    expect(fr).toBeTruthy();
  });

  it("an unknown kind falls back to the generic headline", () => {
    expect(errorKey({ kind: "from_the_future", message: "", fields: [] })).toBe("authenticator.error.internal");
  });

  it("tells keyring trouble from bad input", () => {
    expect(isKeyringError({ kind: "keyring_locked", message: "", fields: [] })).toBe(true);
    expect(isKeyringError({ kind: "invalid_uri", message: "", fields: [] })).toBe(false);
  });

  it("keeps the first message per field", () => {
    const e = { kind: "invalid_fields", message: "", fields: [
      { field: "secret", code: "required", message: "a", params: {} },
      { field: "secret", code: "too_short", message: "b", params: {} },
    ] };
    expect(fieldErrors(e).secret.code).toBe("required");
  });

  it("a detail that only repeats the headline is dropped, a real one is kept", () => {
    const none = { kind: "no_code", message: "no QR code was found", fields: [] };
    expect(errorDetail(none, "No QR code was found.")).toBe("");
    const big = { kind: "image_too_large", message: "the image is 20000x20000 pixels", fields: [] };
    expect(errorDetail(big, "This image is too large.")).toBe("the image is 20000x20000 pixels");
  });
});

import { describe, expect, it } from "vitest";
import { catalogues, keyPaths, pickLanguage, translate } from "./index";

describe("message catalogue", () => {
  it("French has exactly the English keys", () => {
    const en = keyPaths(catalogues.en).sort();
    const fr = keyPaths(catalogues.fr).sort();
    expect(fr.filter((k) => !en.includes(k))).toEqual([]);
    expect(en.filter((k) => !fr.includes(k))).toEqual([]);
  });

  it("each French message uses the same placeholders as the English one", () => {
    const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(",");
    for (const key of keyPaths(catalogues.en)) {
      expect(placeholders(translate("fr", key)), key).toBe(placeholders(translate("en", key)));
    }
  });

  it("fills placeholders and picks the plural form from count", () => {
    expect(translate("en", "principals.remove_confirm", { count: 1, names: "alice" })).toContain("alice");
    expect(translate("en", "picker.selected", { count: 1 })).not.toBe(translate("en", "picker.selected", { count: 2 }));
  });

  it("falls back to the key itself for an unknown message, and to English for an unknown language", () => {
    expect(translate("en", "no.such.key")).toBe("no.such.key");
    expect(pickLanguage(["de-DE", "fr-CA"])).toBe("fr");
    expect(pickLanguage(["de-DE"])).toBe("en");
  });
});

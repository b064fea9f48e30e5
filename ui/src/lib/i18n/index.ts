// The one message catalogue of the desktop UI: en.json (the reference) and fr.json, same
// keys. `t("a.b", { n: 2 })` looks the key up in the current language, falls back to English,
// and fills `{name}` placeholders. Keys ending in a count take `_one` / `_other` forms.

import en from "./en.json";
import fr from "./fr.json";

export type Catalogue = { [key: string]: string | Catalogue };
export type Params = Record<string, string | number>;

export const catalogues: Record<string, Catalogue> = { en, fr };

/** The catalogue language for a BCP 47 tag (`fr-CA` → `fr`), English when unknown. */
export function pickLanguage(tags: readonly string[]): string {
  for (const tag of tags) {
    const base = tag.toLowerCase().split("-")[0];
    if (base in catalogues) return base;
  }
  return "en";
}

function lookup(catalogue: Catalogue, key: string): string | undefined {
  let node: string | Catalogue | undefined = catalogue;
  for (const part of key.split(".")) {
    if (node === undefined || typeof node === "string") return undefined;
    node = node[part];
  }
  return typeof node === "string" ? node : undefined;
}

/** The message for `key` in `language`, with plural choice on `params.count`. */
export function translate(language: string, key: string, params: Params = {}): string {
  const keys = typeof params.count === "number" ? [`${key}_${params.count === 1 ? "one" : "other"}`, key] : [key];
  for (const catalogue of [catalogues[language], catalogues.en]) {
    if (!catalogue) continue;
    for (const k of keys) {
      const text = lookup(catalogue, k);
      if (text !== undefined) return fill(text, params);
    }
  }
  return key;
}

function fill(text: string, params: Params): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Every key path of a catalogue (for the completeness test). */
export function keyPaths(catalogue: Catalogue, prefix = ""): string[] {
  return Object.entries(catalogue).flatMap(([k, v]) =>
    typeof v === "string" ? [prefix + k] : keyPaths(v, `${prefix}${k}.`),
  );
}

const browserLanguages = typeof navigator !== "undefined" ? navigator.languages ?? [navigator.language] : [];
export const language = pickLanguage(browserLanguages);

export function t(key: string, params?: Params): string {
  return translate(language, key, params);
}

/** A date and time in the UI language (Unix seconds in). */
export function formatTime(unix: number): string {
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(unix * 1000));
}

/** A date in the UI language (Unix seconds in). */
export function formatDate(unix: number): string {
  return new Intl.DateTimeFormat(language, { dateStyle: "medium" }).format(new Date(unix * 1000));
}

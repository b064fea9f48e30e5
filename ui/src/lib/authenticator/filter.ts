// Search as you type over the code list: every word of the query must occur in the issuer or
// the account name, ignoring case and accents (the same rule as twofold-vault's
// `matches_query`, plus accent folding so "societe" finds "Société").

import type { AccountCode } from "./types";

function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}

export function matchesQuery(issuer: string | null, account: string, query: string): boolean {
  const haystack = fold(`${issuer ?? ""} ${account}`);
  return fold(query).split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}

export function filterRows(rows: AccountCode[], query: string): AccountCode[] {
  return rows.filter((r) => matchesQuery(r.issuer, r.account, query));
}

/** Initials for a row's avatar: the issuer's (or the account's) first letter. */
export function initial(issuer: string | null, account: string): string {
  const name = (issuer ?? "").trim() || account.trim();
  return ([...name][0] ?? "?").toUpperCase();
}

/** A stable hue per issuer, so the same service always has the same avatar colour. */
export function hueOf(name: string): number {
  let h = 0;
  for (const c of name.toLowerCase()) h = (h * 31 + c.codePointAt(0)!) % 360;
  return h;
}

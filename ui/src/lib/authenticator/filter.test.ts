import { describe, expect, it } from "vitest";
import { hueOf, initial, matchesQuery } from "./filter";

describe("matchesQuery", () => {
  it("needs every word, in issuer or account, in any case", () => {
    expect(matchesQuery("GitHub", "alice@example.com", "git ALI")).toBe(true);
    expect(matchesQuery("GitHub", "alice@example.com", "gitlab")).toBe(false);
    expect(matchesQuery(null, "bob", "")).toBe(true);
  });

  it("ignores accents", () => {
    expect(matchesQuery("Société Générale", "bob", "societe gen")).toBe(true);
  });
});

describe("avatars", () => {
  it("take the issuer's initial, else the account's", () => {
    expect(initial("github", "x")).toBe("G");
    expect(initial(null, "émile")).toBe("É");
    expect(initial(" ", "")).toBe("?");
  });

  it("give the same issuer the same colour", () => {
    expect(hueOf("GitHub")).toBe(hueOf("github"));
    expect(hueOf("GitHub")).toBeGreaterThanOrEqual(0);
  });
});

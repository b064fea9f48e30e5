import { describe, expect, it } from "vitest";
import { groupCode, needsRefetch, rowAt, secondsLeft, showsNext } from "./codes";
import type { AccountCode } from "./types";

function totp(over: Partial<AccountCode> = {}): AccountCode {
  return {
    id: "a", issuer: "Example", account: "alice", kind: "totp",
    code: "111111", grouped: "111 111", period: 30, seconds_left: 30,
    next_code: "222222", next_grouped: "222 222", counter: null, problem: null, ...over,
  };
}

describe("groupCode", () => {
  it("splits codes like the core: shorter half first", () => {
    expect(groupCode("123456")).toBe("123 456");
    expect(groupCode("1234567")).toBe("123 4567");
    expect(groupCode("12345678")).toBe("1234 5678");
    expect(groupCode("1234")).toBe("1234");
  });
});

describe("countdown", () => {
  it("counts period down to 1, never 0", () => {
    expect(secondsLeft(60, 30)).toBe(30);
    expect(secondsLeft(89, 30)).toBe(1);
    expect(secondsLeft(59.9, 30)).toBe(1);
    expect(secondsLeft(0, 15)).toBe(15);
  });

  it("shows the next code only in the last seconds", () => {
    expect(showsNext(6, 5)).toBe(false);
    expect(showsNext(5, 5)).toBe(true);
    expect(showsNext(1, 5)).toBe(true);
  });
});

describe("rowAt", () => {
  const at = 60; // period [60, 90)
  it("shows the fetched code and no next code early in the period", () => {
    const v = rowAt(totp(), at, 70, 5);
    expect([v.grouped, v.left, v.nextGrouped]).toEqual(["111 111", 20, null]);
  });

  it("shows the next code during the last seconds", () => {
    expect(rowAt(totp(), at, 86, 5).nextGrouped).toBe("222 222");
  });

  it("switches to the known next code the second the period ends, without waiting", () => {
    const v = rowAt(totp(), at, 90, 5);
    expect([v.grouped, v.left, v.nextGrouped]).toEqual(["222 222", 30, null]);
  });

  it("shows no code rather than a wrong one after a clock jump", () => {
    expect(rowAt(totp(), at, 3600, 5).grouped).toBeNull();
    expect(rowAt(totp(), at, 30, 5).grouped).toBeNull();
  });

  it("leaves HOTP rows as Rust sent them", () => {
    const v = rowAt(totp({ kind: "hotp", period: null, code: null, grouped: null }), at, 9999, 5);
    expect([v.grouped, v.left]).toEqual([null, null]);
  });
});

describe("needsRefetch", () => {
  it("asks for a new list when any period ends, or the clock goes back", () => {
    const rows = [totp(), totp({ id: "b", period: 60 })];
    expect(needsRefetch(rows, 60, 89)).toBe(false);
    expect(needsRefetch(rows, 60, 90)).toBe(true);
    expect(needsRefetch(rows, 60, 59)).toBe(true);
    expect(needsRefetch([totp({ period: 60 })], 60, 90)).toBe(false);
  });

  it("ignores rows without codes (keyring locked)", () => {
    expect(needsRefetch([totp({ code: null })], 60, 9000)).toBe(false);
  });
});

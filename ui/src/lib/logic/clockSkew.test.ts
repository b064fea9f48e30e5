import { describe, expect, it } from "vitest";
import { translate } from "../i18n";
import type { ClockCheck } from "../api/loopCheck";
import { clockWarning, formatAmount } from "./clockSkew";

const en = (key: string, params?: Record<string, string | number>) => translate("en", key, params);
const fr = (key: string, params?: Record<string, string | number>) => translate("fr", key, params);
const check = (offset: number, skewed = true): ClockCheck => ({ url: "http://p", offset_secs: offset, uncertainty_secs: 0.5, tolerance_secs: 5, skewed });

describe("clock warning", () => {
  it("says this computer is behind when the portal is ahead, and by how much", () => {
    expect(clockWarning(check(120.4), en)).toBe("This computer's clock is 2 min 0 s behind the portal's: codes will be refused. Set the clock by NTP.");
  });

  it("says ahead when the portal is behind", () => {
    expect(clockWarning(check(-45.2), en)).toContain("45 s ahead of the portal's");
  });

  it("says nothing when the clocks agree or nothing was measured", () => {
    expect(clockWarning(check(3, false), en)).toBeNull();
    expect(clockWarning(null, en)).toBeNull();
  });

  it("writes amounts in seconds, minutes and hours", () => {
    expect(formatAmount(59.6, en)).toBe("1 min 0 s");
    expect(formatAmount(-7, en)).toBe("7 s");
    expect(formatAmount(3 * 3600 + 125, en)).toBe("3 h 2 min");
  });

  it("has a French sentence too", () => {
    const text = clockWarning(check(120), fr) ?? "";
    expect(text).toContain("2 min 0 s");
    expect(text).not.toBe(clockWarning(check(120), en));
  });
});

import { describe, expect, it } from "vitest";
import { shortcutOf } from "./shortcut";

const press = (code: string, key: string, mods: Partial<{ ctrlKey: boolean; altKey: boolean; shiftKey: boolean; metaKey: boolean }> = {}) =>
  ({ code, key, ctrlKey: false, altKey: false, shiftKey: false, metaKey: false, ...mods });

describe("recording the quick-pick shortcut", () => {
  it("writes the modifiers in a fixed order and the key by its position, whatever the layout", () => {
    expect(shortcutOf(press("KeyO", "o", { shiftKey: true, ctrlKey: true, altKey: true }))).toBe("Ctrl+Alt+Shift+O");
    // AZERTY: the key at Digit2 gives "é"; the shortcut still names the key.
    expect(shortcutOf(press("Digit2", "é", { metaKey: true }))).toBe("Super+2");
    expect(shortcutOf(press("F9", "F9", { altKey: true }))).toBe("Alt+F9");
  });

  it("waits while only modifiers are down and refuses a shortcut without Ctrl, Alt or Super", () => {
    expect(shortcutOf(press("ControlLeft", "Control", { ctrlKey: true }))).toBeNull();
    expect(shortcutOf(press("KeyO", "O", { shiftKey: true }))).toBeNull();
    expect(shortcutOf(press("KeyO", "o"))).toBeNull();
  });
});

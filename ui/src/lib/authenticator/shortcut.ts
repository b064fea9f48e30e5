// The quick-pick's shortcut as the user records it: the keys of one key press, written the way
// Rust's `tidy_shortcut` and the global-shortcut plugin read them ("Ctrl+Alt+Shift+O").

/** The default, bound by no common desktop (twofold-desktop `at_hand::DEFAULT_SHORTCUT`). */
export const DEFAULT_SHORTCUT = "Ctrl+Alt+Shift+O";

const MODIFIER_KEYS = ["Control", "Alt", "Shift", "Meta", "Super", "OS", "AltGraph"];

/** The shortcut of a key press, or null while only modifiers are down or none of Ctrl, Alt or
 *  Super is (a global Shift+letter would take the letter from every program). */
export function shortcutOf(e: Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "altKey" | "shiftKey" | "metaKey">): string | null {
  if (MODIFIER_KEYS.includes(e.key)) return null;
  if (!e.ctrlKey && !e.altKey && !e.metaKey) return null;
  const key = keyName(e.code);
  if (!key) return null;
  const mods = [e.ctrlKey && "Ctrl", e.altKey && "Alt", e.shiftKey && "Shift", e.metaKey && "Super"].filter(Boolean);
  return [...mods, key].join("+");
}

/** The layout-independent key name (KeyO → O, Digit2 → 2, F9 → F9, Space → Space). */
function keyName(code: string): string | null {
  if (/^Key[A-Z]$/.test(code)) return code.slice(3);
  if (/^Digit[0-9]$/.test(code)) return code.slice(5);
  if (/^F([1-9]|1[0-9]|2[0-4])$/.test(code)) return code;
  if (["Space", "Backquote", "Minus", "Equal", "BracketLeft", "BracketRight", "Backslash", "Semicolon", "Quote", "Comma", "Period", "Slash", "Insert", "Home", "End", "PageUp", "PageDown"].includes(code)) return code;
  return null;
}

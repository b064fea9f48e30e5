// How an AuthError is shown: the translated headline for its kind (falling back to a generic
// one), the detail line under it (unless it only repeats the headline), whether it is the
// keyring's fault (then the explanation banner with what to do), and the per-field messages of
// the add-by-hand form.

import type { AuthError, FieldError } from "./types";

export const KEYRING_KINDS = ["keyring_unavailable", "keyring_locked", "keyring_timeout", "keyring_refused"] as const;

/** Kinds with their own headline in the catalogue (`authenticator.error.KIND`). */
export const KNOWN_KINDS = [
  ...KEYRING_KINDS, "secret_missing", "orphaned_secret", "not_found", "duplicate", "invalid_account", "storage",
  "invalid_uri", "not_otpauth", "invalid_fields", "not_an_image", "image_too_large", "image_damaged", "file_unreadable",
  "screen_capture", "clipboard_empty", "clipboard_no_image", "clipboard", "no_camera", "camera_denied", "camera_busy",
  "camera", "no_code", "not_authenticator_code", "unknown_format", "password_required", "wrong_password",
  "damaged_export", "unsupported_export", "nothing_to_import", "empty_file", "file_too_large", "preview_expired",
  "no_code_yet", "export_password_required", "nothing_to_export", "export_exists", "write_failed", "locked", "lock_wrong_password", "lock_throttled",
  "lock_password_too_short", "lock_idle_too_short", "lock_file_damaged", "backup_folder", "backup_keep",
  "backup_settings_damaged", "backup_password_missing", "shortcut", "at_hand_settings_damaged", "typing_unavailable", "internal",
] as const;

export function isKeyringError(e: AuthError | null | undefined): boolean {
  return !!e && (KEYRING_KINDS as readonly string[]).includes(e.kind);
}

/** The catalogue key of an error's headline. */
export function errorKey(e: AuthError): string {
  return (KNOWN_KINDS as readonly string[]).includes(e.kind) ? `authenticator.error.${e.kind}` : "authenticator.error.internal";
}

/** The detail line to show under `headline`: Rust's message, or nothing when it says no more
 *  than the headline ("No QR code was found." over "no QR code was found"). */
export function errorDetail(e: AuthError, headline: string): string {
  const words = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  return words(e.message) === words(headline) ? "" : e.message;
}

/** The form's errors by field name (the first one per field). */
export function fieldErrors(e: AuthError | null): Record<string, FieldError> {
  const out: Record<string, FieldError> = {};
  for (const f of e?.fields ?? []) out[f.field] ??= f;
  return out;
}

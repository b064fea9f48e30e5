// The Authenticator mode's commands as typed functions. Every call goes to Rust
// (twofold-desktop's `authenticator` module); files go as raw bytes, an export's password in a
// percent-encoded header. Rejections are normalised to AuthError.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AccountCode, AddedAccount, AddReport, AtHand, AtHandStatus, AuthError, CameraChoice, CameraEvent, BackupChoice, BackupStatus, CodeList, LockChange, LockedName, LockStatus, ManualEntry, ExportKind, Offer, Preview, QuickList, TransferCodes, Written } from "./types";

export function toAuthError(thrown: unknown): AuthError {
  if (thrown && typeof thrown === "object" && "kind" in thrown && typeof (thrown as { kind: unknown }).kind === "string") {
    const e = thrown as { kind: string; message?: unknown; fields?: unknown; retry_after_secs?: unknown };
    return {
      kind: e.kind,
      message: typeof e.message === "string" ? e.message : "",
      fields: Array.isArray(e.fields) ? e.fields : [],
      retry_after_secs: typeof e.retry_after_secs === "number" ? e.retry_after_secs : null,
    };
  }
  const message = thrown instanceof Error ? thrown.message : typeof thrown === "string" ? thrown : JSON.stringify(thrown);
  return { kind: "internal", message, fields: [] };
}

async function call<T>(command: string, args?: Parameters<typeof invoke>[1], options?: Parameters<typeof invoke>[2]): Promise<T> {
  try {
    return await invoke<T>(command, args, options);
  } catch (e) {
    throw toAuthError(e);
  }
}

export const authenticatorApi = {
  list: () => call<CodeList>("authenticator_list"),
  addText: (text: string) => call<Offer>("authenticator_add_text", { text }),
  addManual: (entry: ManualEntry) => call<AddedAccount>("authenticator_add_manual", { entry }),
  scanScreen: () => call<Offer>("authenticator_scan_screen"),
  scanImage: (bytes: Uint8Array) => call<Offer>("authenticator_scan_image", bytes),
  scanClipboard: () => call<Offer>("authenticator_scan_clipboard"),
  importFile: (bytes: Uint8Array, password: string | null) =>
    call<Preview>("authenticator_import", bytes, password ? { headers: { "x-twofold-password": encodeURIComponent(password) } } : undefined),
  confirm: (id: number, chosen: number[]) => call<AddReport>("authenticator_confirm", { id, chosen }),
  discard: (id: number) => call<void>("authenticator_discard", { id }),
  nextHotp: (id: string) => call<AccountCode>("authenticator_next_hotp", { id }),
  copy: (id: string) => call<{ clear_after_secs: number }>("authenticator_copy", { id }),
  move: (id: string, index: number) => call<CodeList>("authenticator_move", { id, index }),
  remove: (id: string) => call<CodeList>("authenticator_delete", { id }),
  /** The account's QR code (its otpauth:// URI), a PNG in base64. */
  accountQr: (id: string) => call<string>("authenticator_account_qr", { id }),
  /** Where the Export dialog proposes to write a file of `format`. */
  exportPath: (format: ExportKind) => call<string>("authenticator_export_path", { format }),
  /** Writes every account to `path`; the password travels in the header, like an import's. */
  exportTo: (format: ExportKind, path: string, replace: boolean, password: string | null) =>
    call<Written>("authenticator_export", { format, path, replace }, password ? { headers: { "x-twofold-password": encodeURIComponent(password) } } : undefined),
  /** Google Authenticator transfer codes of every account (PNGs in base64, in order). */
  transferCodes: () => call<TransferCodes>("authenticator_transfer_codes"),
  cameras: () => call<CameraChoice[]>("authenticator_cameras"),
  cameraStart: (index: number, onEvent: (e: CameraEvent) => void) => {
    const events = new Channel<CameraEvent>();
    events.onmessage = onEvent;
    return call<void>("authenticator_camera_start", { index, events });
  },
  cameraStop: () => call<void>("authenticator_camera_stop"),
  backupStatus: () => call<BackupStatus>("authenticator_backup_status"),
  /** Turns the automatic backup on; the first backup is written at once. */
  setBackup: (choice: BackupChoice) => call<BackupStatus>("authenticator_set_backup", { choice }),
  turnOffBackup: () => call<BackupStatus>("authenticator_turn_off_backup"),
  lockStatus: () => call<LockStatus>("authenticator_lock_status"),
  lockedNames: () => call<LockedName[]>("authenticator_locked_names"),
  lock: () => call<LockStatus>("authenticator_lock"),
  unlock: (password: string) => call<LockStatus>("authenticator_unlock", { password }),
  setLock: (change: LockChange) => call<LockStatus>("authenticator_set_lock", { change }),
  removeLock: (current: string) => call<LockStatus>("authenticator_remove_lock", { current }),
  declineLockOffer: () => call<LockStatus>("authenticator_decline_lock_offer"),
  /** The user used the window (the idle time starts again); see ActivityReporter. */
  activity: () => call<void>("authenticator_activity"),
  /** Rust locked by itself (idle time, the desktop session locked). */
  onLocked: (f: () => void): Promise<UnlistenFn> => listen("authenticator-locked", () => f()),
  atHand: () => call<AtHandStatus>("authenticator_at_hand"),
  /** Saves the tray and shortcut settings; a shortcut that cannot be registered is refused. */
  setAtHand: (settings: AtHand) => call<AtHand>("authenticator_set_at_hand", { settings }),
};

/** The quick-pick window's commands (its capability grants these and nothing else). */
export const quickPickApi = {
  list: () => call<QuickList>("quick_pick_list"),
  copy: (id: string) => call<void>("quick_pick_copy", { id }),
  /** Types the code into the window the quick-pick came over (or copies it, and says why). */
  type: (id: string) => call<void>("quick_pick_type", { id }),
  close: () => call<void>("quick_pick_close"),
  showMain: () => call<void>("quick_pick_show_main"),
  /** The quick-pick was shown again: read the list, clear the filter. */
  onOpened: (f: () => void): Promise<UnlistenFn> => listen("quick-pick-opened", () => f()),
};

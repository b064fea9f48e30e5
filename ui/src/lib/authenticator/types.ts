// What the Authenticator mode's commands return (serde shapes of twofold-desktop's
// `authenticator` module). Codes only: no type here carries a secret.

export type CodeKind = "totp" | "hotp" | "steam";

export interface AccountCode {
  id: string;
  issuer: string | null;
  account: string;
  kind: CodeKind;
  code: string | null;
  grouped: string | null;
  period: number | null;
  seconds_left: number | null;
  next_code: string | null;
  next_grouped: string | null;
  counter: number | null;
  problem: string | null;
}

export interface AuthError {
  kind: string;
  message: string;
  fields: FieldError[];
  /** The app lock's throttle: seconds before the next unlock attempt is heard. */
  retry_after_secs?: number | null;
}

/** The app lock (twofold-desktop `authenticator::app_lock::LockStatus`). */
export interface LockStatus {
  enabled: boolean;
  locked: boolean;
  idle_secs: number | null;
  retry_after_secs: number;
  /** Offer to set a lock: none is set and the user has not declined. */
  offer: boolean;
  /** The user chose to keep the account names (never the codes) in sight while locked. */
  show_names: boolean;
}

/** An account named on the lock screen (`LockedName`): no id, no code. */
export interface LockedName {
  issuer: string | null;
  account: string;
}

/** A change of the lock (`LockChange`): `current` once a lock is set; `password` null keeps it. */
export interface LockChange {
  current: string | null;
  password: string | null;
  idle_secs: number | null;
  show_names: boolean;
}

export interface FieldError {
  field: string;
  code: string;
  message: string;
  params: Record<string, string>;
}

export interface CodeList {
  at: number;
  next_window: number;
  clear_after_secs: number;
  accounts: AccountCode[];
  keyring_error: AuthError | null;
  /** Why the last automatic backup failed, until one succeeds again. */
  backup_problem: BackupProblem | null;
}

export interface BackupProblem {
  kind: string;
  message: string;
}

/** The automatic backup (twofold-desktop `authenticator::backup::BackupStatus`). */
export interface BackupStatus {
  enabled: boolean;
  folder: string | null;
  keep: number | null;
  last_path: string | null;
  last_at: number | null;
  problem: BackupProblem | null;
}

export interface BackupChoice {
  folder: string;
  keep: number;
  password: string;
}

export interface Candidate {
  index: number;
  issuer: string | null;
  account: string;
  kind: CodeKind;
  algorithm: string;
  digits: number;
  period: number | null;
  counter: number | null;
  duplicate: boolean;
}

export type Source = "screen" | "image" | "clipboard" | "camera" | "text" | "import";

export interface Preview {
  id: number;
  source: Source;
  format: string | null;
  candidates: Candidate[];
  skipped: Array<{ label: string; reason: string }>;
  ignored: number;
  batches: Array<{ index: number; size: number }>;
}

export interface AddedAccount {
  id: string;
  issuer: string | null;
  account: string;
}

export interface AddReport {
  added: AddedAccount[];
  already_present: number;
  error: AuthError | null;
}

export type Offer = { outcome: "added"; report: AddReport } | { outcome: "preview"; preview: Preview };

export interface ManualEntry {
  issuer: string;
  account: string;
  secret: string;
  kind: CodeKind;
  algorithm: string;
  digits: string;
  period: string;
  counter: string;
}

export interface CameraChoice {
  index: number;
  name: string;
}

export type CameraEvent =
  | { event: "frame"; width: number; height: number; pixels: string }
  | { event: "found"; offer: Offer }
  | { event: "failed"; error: AuthError };

/** Google Authenticator transfer codes (authenticator_transfer_codes). */
export interface TransferCodes {
  /** PNGs in base64, in order. */
  images: string[];
  /** [account, why] for each account Google Authenticator cannot carry. */
  skipped: [string, string][];
}

/** The file formats of the Export dialog. */
export type ExportKind = "aegis" | "uris";

/** Where an export was written (authenticator_export). */
export interface Written {
  path: string;
  accounts: number;
}

/** The quick-pick's list (twofold-desktop `authenticator::quick_pick::QuickList`). */
export interface QuickList {
  accounts: AccountCode[];
  /** The title of the window the quick-pick came over, when it could be read. */
  title: string | null;
  /** How many of the first accounts that title names. */
  matched: number;
}

/** Tray and shortcut settings (`authenticator::at_hand::AtHand`). */
export interface AtHand {
  keep_in_tray: boolean;
  /** The quick-pick's global shortcut, e.g. "Ctrl+Alt+Shift+O"; null for none. */
  shortcut: string | null;
}

export interface AtHandStatus {
  settings: AtHand;
  problem: AuthError | null;
}

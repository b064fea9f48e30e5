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

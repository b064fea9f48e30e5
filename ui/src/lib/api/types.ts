// The Admin mode's data as the Rust side sends it (twofold-desktop's admin::model and
// session types, serialized by Tauri). Tokens never appear here.

export type PrincipalKind = "user" | "group";

export interface Principal {
  kind: PrincipalKind;
  name: string;
}

export type LicenseStatus =
  | { status: "evaluation"; seats_used: number; seats: number }
  | { status: "valid"; licensee: string; seats_used: number; seats: number; expires: number }
  | { status: "expired"; licensee: string; seats_used: number; seats: number; expired: number }
  | { status: "over_seats"; licensee: string; seats_used: number; seats: number; expires: number }
  | { status: "invalid"; reason: string; seats_used: number; seats: number };

export interface Status {
  two_factor_enabled: boolean;
  license: LicenseStatus;
  counts: { users: number; groups: number; principals: number; users_needing_2fa: number };
}

export interface DirectoryEntry {
  kind: PrincipalKind;
  name: string;
  members?: number | null;
}

export interface DirectoryPage {
  total: number;
  items: DirectoryEntry[];
}

export interface PrincipalEntry extends DirectoryEntry {
  added: number;
}

export type EnrollmentState = "none" | "pending" | "active";

export interface CoveredUser {
  username: string;
  state: EnrollmentState;
  locked: boolean;
  locked_until?: number | null;
  failures: number;
  last_sign_in?: number | null;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  subject?: string | null;
  detail?: string | null;
}

export interface ConnectionInfo {
  url: string;
  connected: boolean;
  token_source: "local_file" | "keyring" | "entered" | null;
  token_file: string | null;
  keyring_warning: string | null;
}

export type ErrorKind =
  | "invalid_url"
  | "invalid_token"
  | "unreachable"
  | "unauthorized"
  | "tls"
  | "server"
  | "bad_response"
  | "not_connected"
  | "needs_token"
  | "keyring"
  | "internal";

/** A failure from the Rust side: `kind` picks the message, `message` is the detail line. */
export interface UiError {
  kind: ErrorKind;
  message: string;
  status?: number | null;
}

// The Admin mode's data as the Rust side sends it (twofold-desktop's admin::model and
// session types, serialized by Tauri). Tokens never appear here.

import type { components } from "./openapi.gen";

// The admin API's shapes are generated from docs/openapi.json (openapi.gen.ts, by
// scripts/openapi.sh; `npm run check:api` fails when it is stale): one definition, the
// portal's. The desktop passes them through unchanged, but for lists, which it unwraps
// from their `{"items": [...]}` envelope.
type Schemas = components["schemas"];
export type PrincipalKind = Schemas["PrincipalKind"];
export type Principal = Schemas["Principal"];
export type LicenseStatus = Schemas["LicenseStatus"];
export type LicenseReport = Schemas["LicenseReport"];
export type Status = Schemas["Status"];
export type DirectoryHealth = Schemas["DirectoryHealth"];
export type DirectoryEntry = Schemas["DirectoryEntry"];
export type DirectoryPage = Schemas["DirectoryPage"];
export type PrincipalEntry = Schemas["PrincipalEntry"];
export type EnrollmentState = Schemas["EnrollmentState"];
export type CoveredUser = Schemas["CoveredUser"];
export type AuditEntry = Schemas["AuditEntry"];
/** What the portal's refusal was, for programs (`ErrorCode` in docs/openapi.json). */
export type ErrorCode = Schemas["ErrorCode"];

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

/** A failure from the Rust side: `kind` picks the message, `message` is the detail line.
 *  A refusal by the portal (`kind: "server"`) also carries the portal's `code` and its
 *  `params`, from which the UI writes its own sentence (`refusalText`). */
export interface UiError {
  kind: ErrorKind;
  message: string;
  status?: number | null;
  /** A code this build may not know yet: a newer portal can add codes. */
  code?: ErrorCode | (string & {}) | null;
  params?: Record<string, string>;
}

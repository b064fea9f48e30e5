// The Admin mode's commands as typed functions. Every call goes to Rust (twofold-desktop);
// the token is sent once with `connect` and never returned.

import { invoke } from "@tauri-apps/api/core";
import { toUiError } from "./errors";
import type { AuditEntry, ConnectionInfo, CoveredUser, DirectoryPage, LicenseStatus, Principal, PrincipalEntry, Status } from "./types";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toUiError(e);
  }
}

export const adminApi = {
  connection: () => call<ConnectionInfo>("admin_connection"),
  connect: (url: string, token: string | null) => call<ConnectionInfo>("admin_connect", { url, token }),
  disconnect: () => call<ConnectionInfo>("admin_disconnect"),
  forgetToken: () => call<ConnectionInfo>("admin_forget_token"),
  status: () => call<Status>("admin_status"),
  setTwoFactor: (enabled: boolean) => call<Status>("admin_set_two_factor", { enabled }),
  searchDirectory: (query: string, offset: number, limit: number) =>
    call<DirectoryPage>("admin_search_directory", { query, offset, limit }),
  principals: () => call<PrincipalEntry[]>("admin_principals"),
  addPrincipals: (principals: Principal[]) => call<PrincipalEntry[]>("admin_add_principals", { principals }),
  removePrincipals: (principals: Principal[]) => call<PrincipalEntry[]>("admin_remove_principals", { principals }),
  users: () => call<CoveredUser[]>("admin_users"),
  reset: (usernames: string[]) => call<CoveredUser[]>("admin_reset", { usernames }),
  unlock: (usernames: string[]) => call<CoveredUser[]>("admin_unlock", { usernames }),
  audit: (user: string | null, before: number | null, limit = 100) =>
    call<AuditEntry[]>("admin_audit", { query: { user, before, limit } }),
  installLicense: (text: string) => call<LicenseStatus>("admin_install_license", { text }),
};

export type AdminApi = typeof adminApi;

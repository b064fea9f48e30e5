// Turns whatever a command threw into a UiError (Tauri rejects with the serialized
// SessionError; anything else is a bug shown as "internal"), and says which errors mean the
// connection itself is gone (back to the Connection screen) rather than one action failing.

import type { Params } from "../i18n";
import type { ErrorKind, UiError } from "./types";

const KINDS: readonly ErrorKind[] = [
  "invalid_url", "invalid_token", "unreachable", "unauthorized", "tls", "server",
  "bad_response", "not_connected", "needs_token", "keyring", "internal",
];

export function toUiError(thrown: unknown): UiError {
  if (thrown && typeof thrown === "object" && "kind" in thrown) {
    const e = thrown as { kind: unknown; message?: unknown; status?: unknown; code?: unknown; params?: unknown };
    if (typeof e.kind === "string" && (KINDS as readonly string[]).includes(e.kind)) {
      return {
        kind: e.kind as ErrorKind,
        message: typeof e.message === "string" ? e.message : "",
        status: typeof e.status === "number" ? e.status : null,
        code: typeof e.code === "string" ? e.code : null,
        params: stringParams(e.params),
      };
    }
  }
  const message = thrown instanceof Error ? thrown.message : typeof thrown === "string" ? thrown : JSON.stringify(thrown);
  return { kind: "internal", message };
}

/** Errors after which no admin call can work until the admin reconnects. */
export function losesConnection(error: UiError): boolean {
  return ["unreachable", "unauthorized", "tls", "not_connected", "needs_token", "bad_response"].includes(error.kind);
}

/** The portal's codes for "up, token taken, cannot serve for now": its database or directory
 *  does not answer (or is busy, or its disk is full). It recovers by itself once they do. */
export const CANNOT_SERVE_NOW = ["database_unavailable", "database_busy", "disk_full", "directory_unavailable"];

/** A 503 with one of those codes: the Admin mode stays connected, says what is wrong in a
 *  banner and retries by itself, instead of one toast per failed screen. */
export function portalCannotServeNow(error: UiError): boolean {
  return error.kind === "server" && error.status === 503 && CANNOT_SERVE_NOW.includes(error.code ?? "");
}

/** The message-catalogue key of an error's headline. */
export function errorTitleKey(error: UiError): string {
  return `error.${error.kind}.title`;
}

/** The message-catalogue key of what to do about it. */
export function errorHintKey(error: UiError): string {
  return `error.${error.kind}.hint`;
}

function stringParams(params: unknown): Record<string, string> {
  if (!params || typeof params !== "object") return {};
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

/** Why the portal refused an action, as a sentence in the UI's language: chosen by the
 *  portal's error code (`refusal.CODE` in the catalogue, filled from its params), never by
 *  parsing its English. A code this build does not know falls back to the portal's own
 *  message, which is English. */
export function refusalText(error: UiError, t: (key: string, params?: Params) => string): string {
  if (error.code) {
    const key = `refusal.${error.code}`;
    const text = t(key, error.params ?? {});
    if (text !== key) return text;
  }
  const reason = error.message.trim();
  if (!reason) return "";
  const sentence = reason[0].toUpperCase() + reason.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

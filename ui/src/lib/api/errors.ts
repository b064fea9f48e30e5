// Turns whatever a command threw into a UiError (Tauri rejects with the serialized
// SessionError; anything else is a bug shown as "internal"), and says which errors mean the
// connection itself is gone (back to the Connection screen) rather than one action failing.

import type { ErrorKind, UiError } from "./types";

const KINDS: readonly ErrorKind[] = [
  "invalid_url", "invalid_token", "unreachable", "unauthorized", "tls", "server",
  "bad_response", "not_connected", "needs_token", "keyring", "internal",
];

export function toUiError(thrown: unknown): UiError {
  if (thrown && typeof thrown === "object" && "kind" in thrown) {
    const e = thrown as { kind: unknown; message?: unknown; status?: unknown };
    if (typeof e.kind === "string" && (KINDS as readonly string[]).includes(e.kind)) {
      return {
        kind: e.kind as ErrorKind,
        message: typeof e.message === "string" ? e.message : "",
        status: typeof e.status === "number" ? e.status : null,
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

/** The message-catalogue key of an error's headline. */
export function errorTitleKey(error: UiError): string {
  return `error.${error.kind}.title`;
}

/** The message-catalogue key of what to do about it. */
export function errorHintKey(error: UiError): string {
  return `error.${error.kind}.hint`;
}

/** What the portal said when it refused an action, as a sentence: the Rust side wraps it as
 *  "the portal refused: REASON (HTTP 403)" (and some reasons start "refused:" again), which
 *  reads badly under a headline that already says so. */
export function refusalReason(error: UiError): string {
  const reason = error.message.replace(/^(the portal refused:\s*)?(refused:\s*)?/i, "").replace(/\s*\(HTTP \d+\)$/, "").trim();
  if (!reason) return "";
  const sentence = reason[0].toUpperCase() + reason.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

// The Admin mode's shared state: where the connection stands, the last status from the
// portal, and the one way errors are handled — a lost connection sends the admin back to
// the Connection screen with its message; a refused action is shown and nothing else moves.

import { adminApi } from "../../lib/api/admin";
import { losesConnection, portalCannotServeNow, toUiError } from "../../lib/api/errors";
import type { ConnectionInfo, Status, UiError } from "../../lib/api/types";
import { notify } from "../../lib/components/Toasts.svelte";
import { t } from "../../lib/i18n";

export type Phase = "starting" | "connecting" | "connection" | "connected";

export const admin = $state({
  phase: "starting" as Phase,
  info: null as ConnectionInfo | null,
  error: null as UiError | null,
  status: null as Status | null,
  /** Set while the portal answers that it cannot serve for now (its database or directory
   *  is down); cleared by the first status that comes through. */
  unavailable: null as UiError | null,
  /** Bumped to make every screen reload its data (Refresh). */
  generation: 0,
});

/** First entry into the Admin mode: reuse a live connection, else try to connect with a
 *  token found locally or in the keyring; the Connection screen shows what went wrong. */
export async function start(): Promise<void> {
  try {
    // The marks place each start-up step on the page's timeline for the start-up benchmark
    // (tests/tests/admin_app_bench.rs); they cost nothing otherwise.
    performance.mark("twofold:admin-start");
    const info = await adminApi.connection();
    performance.mark("twofold:admin-connection-info");
    admin.info = info;
    if (info.connected) {
      admin.phase = "connected";
      await refreshStatus();
      return;
    }
    await connect(info.url, null);
  } catch (e) {
    fail(e);
  }
}

export async function connect(url: string, token: string | null): Promise<void> {
  admin.phase = "connecting";
  admin.error = null;
  try {
    admin.info = await adminApi.connect(url, token);
    performance.mark("twofold:admin-connected");
    try {
      admin.status = await adminApi.status();
      admin.unavailable = null;
    } catch (e) {
      // Connected (the token was taken) to a portal that cannot serve for now: the banner says
      // why; anything else is a failed connection.
      if (!portalCannotServeNow(toUiError(e))) throw e;
      fail(e);
    }
    performance.mark("twofold:admin-status");
    admin.phase = "connected";
    admin.generation++;
  } catch (e) {
    const error = toUiError(e);
    admin.info = admin.info ? { ...admin.info, url, connected: false } : admin.info;
    admin.error = error.kind === "needs_token" ? null : error;
    admin.phase = "connection";
    if (error.kind === "needs_token") admin.info = { ...(admin.info ?? emptyInfo(url)), url };
  }
}

function emptyInfo(url: string): ConnectionInfo {
  return { url, connected: false, token_source: null, token_file: null, keyring_warning: null };
}

export async function disconnect(): Promise<void> {
  try {
    admin.info = await adminApi.disconnect();
  } catch (e) {
    fail(e);
  }
  admin.status = null;
  admin.error = null;
  admin.unavailable = null;
  admin.phase = "connection";
}

export async function forgetToken(): Promise<void> {
  try {
    admin.info = await adminApi.forgetToken();
    notify("ok", t("connection.forgotten"));
  } catch (e) {
    fail(e);
  }
  admin.status = null;
  admin.phase = "connection";
}

export async function refreshStatus(): Promise<void> {
  try {
    admin.status = await adminApi.status();
    if (admin.unavailable) {
      // Back: every screen reloads what it could not show.
      admin.unavailable = null;
      admin.generation++;
      notify("ok", t("unavailable.back"));
    }
  } catch (e) {
    fail(e);
  }
}

/** Seconds between two status requests while the portal cannot serve. */
export const UNAVAILABLE_RETRY_SECONDS = 5;
let retryTimer: ReturnType<typeof setTimeout> | null = null;

function retryUntilBack(): void {
  if (retryTimer) return;
  retryTimer = setTimeout(async () => {
    retryTimer = null;
    if (admin.phase !== "connected" || !admin.unavailable) return;
    await refreshStatus();
  }, UNAVAILABLE_RETRY_SECONDS * 1000);
}

/** Reloads the status and every screen's data from the portal. */
export async function refreshAll(): Promise<void> {
  admin.generation++;
  await refreshStatus();
}

/** Handles a failed call: connection-level errors go back to the Connection screen. */
export function fail(thrown: unknown): UiError {
  const error = toUiError(thrown);
  if (losesConnection(error)) {
    admin.error = error;
    admin.phase = "connection";
  } else if (portalCannotServeNow(error)) {
    admin.unavailable = error;
    retryUntilBack();
  } else {
    notify("bad", t(`error.${error.kind}.title`), error.message);
  }
  return error;
}

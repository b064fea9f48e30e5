// The Loop check panel's and the clock check's commands as typed functions, and the shapes
// Rust sends (twofold-desktop's loop_check::panel and loop_check::clock). A run streams its
// steps over a Tauri Channel and resolves with the whole report.

import { Channel, invoke } from "@tauri-apps/api/core";

export type StepStatus = "passed" | "failed" | "skipped";

/** One finished step, as the report has it (`StepReport`). */
export interface StepReport {
  name: string;
  passed: boolean;
  status: StepStatus;
  duration_ms: number;
  detail?: string;
  expected?: string;
  actual?: string;
}

/** The clocks compared: the server's minus this machine's, in seconds (`ClockCheck`). */
export interface ClockCheck {
  url: string;
  offset_secs: number;
  uncertainty_secs: number;
  tolerance_secs: number;
  skewed: boolean;
}

export type PanelEvent =
  | { type: "clock"; check: ClockCheck }
  | { type: "started"; index: number; name: string }
  | { type: "finished"; index: number; step: StepReport };

export interface PanelState {
  portal_url: string;
  steps: string[];
  running: boolean;
}

/** The finished run (`ReportView`): the report and the table the CLI prints. */
export interface LoopReport {
  passed: boolean;
  portal: string;
  admin_url: string;
  steps: StepReport[];
  removed: string[];
  clock_offset_secs?: number;
  interrupted: boolean;
  connection_error: boolean;
  table: string;
}

export type LoopErrorKind = "already_running" | "not_connected" | "invalid_portal_url" | "no_report" | "clipboard" | "internal";

/** A refusal from the panel: `kind` and `params` pick the sentence, `message` is English. */
export interface LoopError {
  kind: LoopErrorKind;
  message: string;
  params: Record<string, string>;
}

const KINDS: readonly LoopErrorKind[] = ["already_running", "not_connected", "invalid_portal_url", "no_report", "clipboard"];

export function toLoopError(thrown: unknown): LoopError {
  if (thrown && typeof thrown === "object" && "kind" in thrown) {
    const e = thrown as { kind: unknown; message?: unknown; params?: unknown };
    if (typeof e.kind === "string" && (KINDS as readonly string[]).includes(e.kind)) {
      const params = e.params && typeof e.params === "object" ? (e.params as Record<string, unknown>) : {};
      return {
        kind: e.kind as LoopErrorKind,
        message: typeof e.message === "string" ? e.message : "",
        params: Object.fromEntries(Object.entries(params).filter((p): p is [string, string] => typeof p[1] === "string")),
      };
    }
  }
  const message = thrown instanceof Error ? thrown.message : typeof thrown === "string" ? thrown : JSON.stringify(thrown);
  return { kind: "internal", message, params: {} };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toLoopError(e);
  }
}

export const loopCheckApi = {
  state: () => call<PanelState>("loop_check_state"),
  run: (portalUrl: string, onEvent: (e: PanelEvent) => void) => {
    const events = new Channel<PanelEvent>();
    events.onmessage = onEvent;
    return call<LoopReport>("loop_check_run", { portalUrl, events });
  },
  copyReport: () => call<void>("loop_check_copy_report"),
  clockCheck: () => call<ClockCheck | null>("clock_check"),
};

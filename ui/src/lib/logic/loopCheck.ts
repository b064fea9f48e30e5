// The Loop check panel's state as pure functions: the step rows before, during and after a
// run (events fill them in live; the final report is the authority and wins over any event
// that arrives after it), whether Run may be pressed, and how times read.

import type { LoopReport, PanelEvent, StepReport } from "../api/loopCheck";

export type RowStatus = "pending" | "running" | "passed" | "failed" | "skipped";

export interface StepRow {
  index: number;
  name: string;
  status: RowStatus;
  durationMs: number | null;
  detail: string | null;
  expected: string | null;
  actual: string | null;
}

export interface PanelModel {
  rows: StepRow[];
  running: boolean;
  report: LoopReport | null;
}

function pendingRow(name: string, index: number): StepRow {
  return { index, name, status: "pending", durationMs: null, detail: null, expected: null, actual: null };
}

/** Every step pending: the panel before its first run. */
export function idle(names: readonly string[]): PanelModel {
  return { rows: names.map(pendingRow), running: false, report: null };
}

/** A run was started: every row pending again, the last report gone. */
export function started(model: PanelModel): PanelModel {
  return { rows: model.rows.map((r) => pendingRow(r.name, r.index)), running: true, report: null };
}

function finishedRow(index: number, step: StepReport): StepRow {
  return {
    index,
    name: step.name,
    status: step.status,
    durationMs: step.duration_ms,
    detail: step.detail ?? null,
    expected: step.expected ?? null,
    actual: step.actual ?? null,
  };
}

function withRow(rows: StepRow[], row: StepRow): StepRow[] {
  const next = rows.slice();
  while (next.length <= row.index) next.push(pendingRow(row.name, next.length));
  next[row.index] = row;
  return next;
}

/** One event of the run. Events of a run already finished (late on the channel) are dropped. */
export function applyEvent(model: PanelModel, event: PanelEvent): PanelModel {
  if (!model.running) return model;
  switch (event.type) {
    case "started":
      return { ...model, rows: withRow(model.rows, { ...pendingRow(event.name, event.index), status: "running" }) };
    case "finished":
      return { ...model, rows: withRow(model.rows, finishedRow(event.index, event.step)) };
    case "clock":
      return model;
  }
}

/** The run ended with `report`: its steps replace whatever the events said. */
export function finished(model: PanelModel, report: LoopReport): PanelModel {
  const rows = report.steps.map((s, i) => finishedRow(i, s));
  return { rows: rows.length ? rows : model.rows, running: false, report };
}

/** The run could not start or broke off (refused, not connected): back to not running. */
export function stopped(model: PanelModel): PanelModel {
  return { ...model, running: false, rows: model.rows.map((r) => (r.status === "running" ? { ...r, status: "pending" } : r)) };
}

/** Whether `url` looks like an http(s) URL with a host (Rust checks it again). */
export function isPortalUrl(url: string): boolean {
  try {
    const u = new URL(url.trim());
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

/** Run may be pressed: not already running, and a usable portal URL. */
export function canRun(model: PanelModel, url: string): boolean {
  return !model.running && isPortalUrl(url);
}

/** How many steps are done, for "3 / 11". */
export function progress(model: PanelModel): { done: number; total: number } {
  const done = model.rows.filter((r) => r.status === "passed" || r.status === "failed" || r.status === "skipped").length;
  return { done, total: model.rows.length };
}

/** "840 ms", "12.3 s", "1 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, "0")} s`;
}

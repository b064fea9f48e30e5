import { describe, expect, it } from "vitest";
import type { LoopReport, StepReport } from "../api/loopCheck";
import { toLoopError } from "../api/loopCheck";
import { applyEvent, canRun, finished, formatDuration, idle, isPortalUrl, progress, started, stopped } from "./loopCheck";

const names = ["admin-api", "clock", "clean-up"];
const pass = (name: string, ms: number, detail = ""): StepReport => ({ name, passed: true, status: "passed", duration_ms: ms, ...(detail ? { detail } : {}) });

function report(steps: StepReport[]): LoopReport {
  return { passed: true, portal: "http://p", admin_url: "http://a", steps, removed: [], interrupted: false, connection_error: false, table: "Loop check of http://p\n" };
}

describe("loop check panel state", () => {
  it("shows every step pending before the first run", () => {
    const m = idle(names);
    expect(m.rows.map((r) => [r.name, r.status])).toEqual([["admin-api", "pending"], ["clock", "pending"], ["clean-up", "pending"]]);
    expect(m.running).toBe(false);
  });

  it("fills the steps in live: running when started, then status and duration when finished", () => {
    let m = started(idle(names));
    m = applyEvent(m, { type: "started", index: 0, name: "admin-api" });
    expect(m.rows[0].status).toBe("running");
    m = applyEvent(m, { type: "finished", index: 0, step: pass("admin-api", 12, "2FA on") });
    m = applyEvent(m, { type: "started", index: 1, name: "clock" });
    expect(m.rows.map((r) => r.status)).toEqual(["passed", "running", "pending"]);
    expect(m.rows[0].durationMs).toBe(12);
    expect(m.rows[0].detail).toBe("2FA on");
    expect(progress(m)).toEqual({ done: 1, total: 3 });
  });

  it("keeps a failed step's expected and actual", () => {
    const failed: StepReport = { name: "clock", passed: false, status: "failed", duration_ms: 4, detail: "120 s ahead", expected: "within 5 s", actual: "+120.2 s" };
    const m = applyEvent(started(idle(names)), { type: "finished", index: 1, step: failed });
    expect(m.rows[1]).toMatchObject({ status: "failed", expected: "within 5 s", actual: "+120.2 s", detail: "120 s ahead" });
  });

  it("lets the final report win over events that arrive after it", () => {
    let m = started(idle(names));
    m = finished(m, report([pass("admin-api", 1), pass("clock", 2), pass("clean-up", 3)]));
    expect(m.running).toBe(false);
    const late = applyEvent(m, { type: "started", index: 2, name: "clean-up" });
    expect(late).toBe(m);
    expect(m.rows.map((r) => r.status)).toEqual(["passed", "passed", "passed"]);
    expect(m.report?.table).toContain("Loop check of");
  });

  it("starts a new run from pending rows and no report", () => {
    const done = finished(started(idle(names)), report([pass("admin-api", 1), pass("clock", 2), pass("clean-up", 3)]));
    const again = started(done);
    expect(again.report).toBeNull();
    expect(again.rows.every((r) => r.status === "pending" && r.durationMs === null)).toBe(true);
  });

  it("refuses Run while running or without an http(s) portal URL", () => {
    const m = idle(names);
    expect(canRun(m, "http://127.0.0.1:8080")).toBe(true);
    expect(canRun(started(m), "http://127.0.0.1:8080")).toBe(false);
    expect(canRun(m, "127.0.0.1:8080")).toBe(false);
    expect(canRun(m, "ftp://host")).toBe(false);
    expect(isPortalUrl(" https://portal.example.net ")).toBe(true);
    expect(canRun(stopped(started(m)), "http://h")).toBe(true);
  });

  it("puts a step left running back to pending when the run is refused", () => {
    const m = stopped(applyEvent(started(idle(names)), { type: "started", index: 0, name: "admin-api" }));
    expect(m.rows[0].status).toBe("pending");
    expect(m.running).toBe(false);
  });

  it("writes durations in ms, seconds, then minutes", () => {
    expect(formatDuration(840)).toBe("840 ms");
    expect(formatDuration(12_345)).toBe("12.3 s");
    expect(formatDuration(65_000)).toBe("1 min 05 s");
  });

  it("reads the panel's coded refusals, and anything else as internal", () => {
    expect(toLoopError({ kind: "already_running", message: "a loop check is already running", params: {} }).kind).toBe("already_running");
    expect(toLoopError({ kind: "invalid_portal_url", message: "m", params: { url: "x", n: 3 } }).params).toEqual({ url: "x" });
    expect(toLoopError(new Error("boom"))).toEqual({ kind: "internal", message: "boom", params: {} });
    expect(toLoopError({ kind: "nonsense" }).kind).toBe("internal");
  });
});

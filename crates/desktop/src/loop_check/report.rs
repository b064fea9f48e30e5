//! What a loop check reports: one [`StepReport`] per step (passed, failed or skipped, how
//! long it took, what was expected and what came back), what clean-up removed, and the two
//! renderings — a table for people and JSON for scripts.
//!
//! Leaves out running the steps ([`super::run`]) and the exit status (the CLI's).

use serde::Serialize;

/// The steps, in the order they run. The names are what the table and JSON show.
pub const STEP_NAMES: [&str; 11] = [
    "admin-api",
    "clock",
    "throwaway-user",
    "password-sign-in",
    "activation-qr",
    "vault",
    "activate",
    "next-code-sign-in",
    "rdp-gate",
    "reset",
    "clean-up",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Passed,
    Failed,
    /// Not run, and why is in `detail` (no gateway token; an earlier step failed).
    Skipped,
}

/// One step's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    pub name: &'static str,
    pub passed: bool,
    pub status: StepStatus,
    pub duration_ms: u64,
    /// What happened, in a line (the wait for the next code, the clock offset, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// On failure: what the step expected and what it got.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl StepReport {
    pub fn passed(name: &'static str, duration_ms: u64, detail: impl Into<String>) -> StepReport {
        let detail = detail.into();
        StepReport {
            name,
            passed: true,
            status: StepStatus::Passed,
            duration_ms,
            detail: (!detail.is_empty()).then_some(detail),
            expected: None,
            actual: None,
        }
    }

    pub fn skipped(name: &'static str, why: impl Into<String>) -> StepReport {
        StepReport {
            name,
            passed: false,
            status: StepStatus::Skipped,
            duration_ms: 0,
            detail: Some(why.into()),
            expected: None,
            actual: None,
        }
    }
}

/// A whole run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LoopReport {
    /// True when no step failed (skipped steps say why in their detail).
    pub passed: bool,
    pub portal: String,
    pub admin_url: String,
    pub steps: Vec<StepReport>,
    /// What clean-up removed or restored, one line each.
    pub removed: Vec<String>,
    /// The portal's clock minus ours, in seconds, when the clock step could read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_offset_secs: Option<f64>,
    /// The run was stopped (Ctrl-C, the panel's window closing) before all steps ran.
    pub interrupted: bool,
    /// The admin API or the portal could not be reached or refused the token: a usage or
    /// connection problem rather than a failure of the loop itself.
    pub connection_error: bool,
}

impl LoopReport {
    pub fn failed_steps(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|s| s.status == StepStatus::Failed)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// The readable table: one row per step, then the failure details and clean-up.
    pub fn to_table(&self) -> String {
        let mut out = format!("Loop check of {} (admin API {})\n\n", self.portal, self.admin_url);
        out.push_str(&format!(" #  {:<18} {:<7} {:>9}  {}\n", "step", "result", "time", "detail"));
        for (i, step) in self.steps.iter().enumerate() {
            let result = match step.status {
                StepStatus::Passed => "pass",
                StepStatus::Failed => "FAIL",
                StepStatus::Skipped => "skip",
            };
            out.push_str(&format!(
                "{:>2}  {:<18} {:<7} {:>6} ms  {}\n",
                i + 1,
                step.name,
                result,
                step.duration_ms,
                step.detail.as_deref().unwrap_or("")
            ));
            if step.status == StepStatus::Failed {
                if let Some(expected) = &step.expected {
                    out.push_str(&format!("{:>33}expected: {expected}\n", ""));
                }
                if let Some(actual) = &step.actual {
                    out.push_str(&format!("{:>33}actual:   {actual}\n", ""));
                }
            }
        }
        out.push('\n');
        if self.removed.is_empty() {
            out.push_str("Clean-up: nothing was left to remove.\n");
        } else {
            out.push_str("Clean-up removed:\n");
            for line in &self.removed {
                out.push_str(&format!("  - {line}\n"));
            }
        }
        if self.interrupted {
            out.push_str("The run was interrupted before every step ran.\n");
        }
        let failed = self.failed_steps().count();
        out.push_str(&if failed == 0 && !self.interrupted {
            "Result: every step passed.\n".to_string()
        } else {
            format!("Result: {failed} step(s) failed.\n")
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> StepReport {
        StepReport {
            name: "clock",
            passed: false,
            status: StepStatus::Failed,
            duration_ms: 3,
            detail: Some("the portal's clock is 120 s ahead of this machine's".into()),
            expected: Some("within 5 s".into()),
            actual: Some("+120.4 s".into()),
        }
    }

    #[test]
    fn json_has_one_object_per_step_with_expected_and_actual_only_on_failure() {
        let report = LoopReport {
            steps: vec![StepReport::passed("admin-api", 12, "2FA on"), failed()],
            ..LoopReport::default()
        };
        let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let steps = v["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0]["name"], "admin-api");
        assert_eq!(steps[0]["passed"], true);
        assert_eq!(steps[0]["duration_ms"], 12);
        assert!(steps[0].get("expected").is_none());
        assert_eq!(steps[1]["status"], "failed");
        assert_eq!(steps[1]["expected"], "within 5 s");
        assert_eq!(steps[1]["actual"], "+120.4 s");
    }

    #[test]
    fn the_table_shows_each_step_the_failure_detail_and_what_was_removed() {
        let report = LoopReport {
            portal: "http://p".into(),
            admin_url: "http://a".into(),
            steps: vec![
                StepReport::passed("admin-api", 12, ""),
                failed(),
                StepReport::skipped("rdp-gate", "no token"),
            ],
            removed: vec!["user loopcheck-x".into()],
            ..LoopReport::default()
        };
        let table = report.to_table();
        assert!(table.contains(" 2  clock              FAIL"), "{table}");
        assert!(
            table.contains("expected: within 5 s") && table.contains("actual:   +120.4 s"),
            "{table}"
        );
        assert!(table.contains("skip") && table.contains("no token"), "{table}");
        assert!(table.contains("  - user loopcheck-x"), "{table}");
        assert!(table.contains("1 step(s) failed"), "{table}");
    }
}

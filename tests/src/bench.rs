//! What the desktop benchmarks (`tests/admin_app_bench.rs`, `tests/authenticator_app_bench.rs`,
//! run by scripts/bench-desktop.sh) measure the same way for the app and for its peers: memory
//! summed over a process tree, the app's newest process, a process's start time as the kernel
//! recorded it, and the peer desktop authenticators idle in the same session. Figures are
//! printed as `BENCH name value unit` lines; nothing here asserts anything about them.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::desktop_session::DesktopSession;
use crate::process::ChildGuard;

/// Prints one figure.
pub fn bench(name: &str, value: f64, unit: &str) {
    println!("BENCH {name} {value:.1} {unit}");
}

/// The median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in parentheses may hold spaces; the fields after it do not.
    stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()
}

/// Memory of a process tree, in kB, with the names of the processes counted.
pub struct TreeMemory {
    pub rss_kb: u64,
    pub pss_kb: u64,
    pub processes: Vec<String>,
}

/// `root` and all its descendants.
fn tree_pids(root: u32) -> Vec<u32> {
    let all: Vec<u32> = std::fs::read_dir("/proc")
        .map(|entries| {
            entries.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect()
        })
        .unwrap_or_default();
    let mut pids = vec![root];
    let mut i = 0;
    while i < pids.len() {
        let parent = pids[i];
        for &pid in &all {
            if parent_of(pid) == Some(parent) && !pids.contains(&pid) {
                pids.push(pid);
            }
        }
        i += 1;
    }
    pids
}

/// RSS and PSS summed over `root` and all its descendants (from `/proc/PID/smaps_rollup`).
pub fn tree_memory(root: u32) -> TreeMemory {
    let pids = tree_pids(root);
    let mut memory = TreeMemory { rss_kb: 0, pss_kb: 0, processes: Vec::new() };
    for pid in &pids {
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let field = |name: &str| {
            rollup
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        memory.rss_kb += field("Rss:");
        memory.pss_kb += field("Pss:");
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        memory.processes.push(format!("{} ({} MB PSS)", comm.trim(), field("Pss:") / 1024));
    }
    memory
}

/// Prints `idle_rss_{what}` and `idle_pss_{what}` in MB and the processes counted.
pub fn report_tree_memory(what: &str, root: u32) {
    let memory = tree_memory(root);
    bench(&format!("idle_rss_{what}"), memory.rss_kb as f64 / 1024.0, "MB");
    bench(&format!("idle_pss_{what}"), memory.pss_kb as f64 / 1024.0, "MB");
    println!("processes {what}: {:?}", memory.processes);
    for pid in tree_pids(root) {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let kinds: Vec<String> = pss_by_kind(pid)
            .iter()
            .map(|(kind, kb)| format!("{kind} {:.1}", *kb as f64 / 1024.0))
            .collect();
        println!("where {what} {}: {} (MB PSS)", comm.trim(), kinds.join(", "));
    }
}

/// What a mapping of a process is, for the "what is resident and why" breakdown.
pub fn mapping_kind(path: &str, exe: &str) -> &'static str {
    let file = path.rsplit('/').next().unwrap_or(path);
    if !exe.is_empty() && path == exe {
        "program"
    } else if file.starts_with("libwebkit2gtk") || file.starts_with("libjavascriptcoregtk") {
        "WebKit+JSC"
    } else if path.contains("/dri/")
        || ["libLLVM", "libEGL", "libGL", "libgbm", "libdrm", "libepoxy", "libglapi", "libxcb-dri"]
            .iter()
            .any(|p| file.starts_with(p))
    {
        "GL (Mesa)"
    } else if file.starts_with("libflite") {
        "speech (flite)"
    } else if path.is_empty() || path.starts_with('[') {
        "heap+anon"
    } else if path.starts_with("/SYSV")
        || path.starts_with("/dev/shm")
        || path.starts_with("/memfd")
    {
        "shared memory"
    } else {
        "other libraries"
    }
}

/// PSS of process `pid` per [`mapping_kind`], in kB, largest first (from `/proc/PID/smaps`).
pub fn pss_by_kind(pid: u32) -> Vec<(&'static str, u64)> {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut kinds: Vec<(&'static str, u64)> = Vec::new();
    let mut current = "heap+anon";
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or("");
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            // `start-end perms offset dev inode [path]`: the path is the sixth field.
            let path = line.split_whitespace().nth(5).unwrap_or("");
            current = mapping_kind(path, &exe);
        } else if first == "Pss:" {
            let kb: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            match kinds.iter_mut().find(|(k, _)| *k == current) {
                Some((_, total)) => *total += kb,
                None => kinds.push((current, kb)),
            }
        }
    }
    kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
    kinds
}

/// The pid of the newest process whose executable is `exe`.
pub fn pid_of(exe: &Path) -> Option<u32> {
    let target = std::fs::canonicalize(exe).ok()?;
    let mut found = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_deref() == Some(target.as_path())
        {
            found = Some(found.map_or(pid, |f: u32| f.max(pid)));
        }
    }
    found
}

/// When process `pid` started, in milliseconds since the Unix epoch (from the boot time and
/// the process's start in clock ticks since boot; both have 10 ms resolution).
pub fn process_start_epoch_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let ticks: f64 = stat
        .rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().nth(19))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    // btime is whole seconds; now minus the uptime (10 ms resolution) places boot finer.
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let boot = crate::clock::now_f64() - uptime;
    boot * 1000.0 + ticks * 10.0
}

/// OTPClient and KeePassXC (Debian's), each started alone in `session`, left idle for 8 s and
/// measured as the app is. A peer that is not installed or ends early is reported so.
pub async fn report_peers(session: &DesktopSession) {
    for peer in ["otpclient", "keepassxc"] {
        let Some(bin) = crate::tools::find_program(peer) else {
            println!("BENCH {peer} not installed");
            continue;
        };
        let mut cmd = Command::new(bin);
        cmd.envs(session.env()).stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = ChildGuard::spawn(peer, &mut cmd);
        tokio::time::sleep(Duration::from_secs(8)).await;
        if child.exited().is_some() {
            println!("BENCH {peer} exited early");
            continue;
        }
        report_tree_memory(&format!("{peer}_tree"), child.id());
        child.stop();
    }
}

/// Where the page's own clock put one mark, and its whole timeline for the log.
pub struct PageTimeline {
    /// `performance.timeOrigin`: when the page's navigation started, in Unix ms.
    pub origin_epoch_ms: f64,
    /// The mark's time after `origin_epoch_ms`, NaN when the page never set it.
    pub mark_ms: f64,
    /// `dcl=… name=…` for every mark, in ms after the origin.
    pub summary: String,
}

impl PageTimeline {
    /// The mark as a Unix time in ms, to compare with a process's start.
    pub fn mark_epoch_ms(&self) -> f64 {
        self.origin_epoch_ms + self.mark_ms
    }
}

/// Reads the page's navigation timing and every `twofold:` mark, with `mark` singled out.
pub async fn page_timeline(client: &fantoccini::Client, mark: &str) -> PageTimeline {
    let values = client
        .execute(
            "const nav = performance.getEntriesByType('navigation')[0] || {};
             const marks = performance.getEntriesByType('mark')
               .map(m => m.name.replace('twofold:', '') + '=' + m.startTime.toFixed(0)).join(' ');
             const wanted = performance.getEntriesByName(arguments[0])[0];
             return [performance.timeOrigin, wanted ? wanted.startTime : null,
                     'dcl=' + (nav.domContentLoadedEventEnd || 0).toFixed(0) + ' ' + marks];",
            vec![serde_json::Value::from(mark)],
        )
        .await
        .expect("page timeline");
    PageTimeline {
        origin_epoch_ms: values[0].as_f64().unwrap_or(f64::NAN),
        mark_ms: values[1].as_f64().unwrap_or(f64::NAN),
        summary: values[2].as_str().unwrap_or("").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::mapping_kind;

    #[test]
    fn mappings_are_sorted_into_the_kinds_the_benchmarks_explain() {
        let exe = "/usr/bin/twofold";
        assert_eq!(mapping_kind("/usr/bin/twofold", exe), "program");
        assert_eq!(
            mapping_kind("/usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0.19.9", exe),
            "WebKit+JSC"
        );
        assert_eq!(mapping_kind("/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1", exe), "GL (Mesa)");
        assert_eq!(mapping_kind("/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so", exe), "GL (Mesa)");
        assert_eq!(
            mapping_kind("/usr/lib/x86_64-linux-gnu/libflite_cmu_us_rms.so.2.2", exe),
            "speech (flite)"
        );
        assert_eq!(mapping_kind("[heap]", exe), "heap+anon");
        assert_eq!(mapping_kind("", exe), "heap+anon");
        assert_eq!(mapping_kind("/SYSV00000000", exe), "shared memory");
        assert_eq!(mapping_kind("/usr/lib/x86_64-linux-gnu/libgtk-3.so.0", exe), "other libraries");
    }
}

//! Man pages and shell completions written from a program's clap definition, so what
//! `--help` says, what `man` says and what the shell completes cannot drift apart.
//!
//! Each program calls [`write_docs`] from a hidden `generate-docs` subcommand; the packaging
//! script (scripts/package.sh) runs it and installs the files.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use clap::Command;
use clap_complete::Shell;

#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// What [`write_docs`] wrote, by kind, for the caller to report.
#[derive(Debug, Default)]
pub struct Written {
    pub man_pages: Vec<PathBuf>,
    pub completions: Vec<PathBuf>,
}

/// The shells whose completion files the packages install, with where Debian's packages of
/// those shells look for them (relative to /usr/share).
pub const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "bash-completion/completions"),
    (Shell::Zsh, "zsh/vendor-completions"),
    (Shell::Fish, "fish/vendor_completions.d"),
];

/// Writes `out/man/<name>.1` plus one page per visible subcommand (`<name>-<sub>.1`, as git
/// does), and `out/<shell dir>/<file>` for each of [`SHELLS`].
pub fn write_docs(cmd: Command, out: &Path) -> Result<Written, DocsError> {
    // Bash's generator offers hidden subcommands too: complete a copy without them.
    let mut visible = visible_only(&cmd);
    let mut cmd = cmd;
    cmd.build();
    let name = cmd.get_name().to_string();
    let mut written = Written::default();
    let man = out.join("man");
    create_dir(&man)?;
    write_man_pages(&cmd, &name, &man, &mut written)?;
    for (shell, dir) in SHELLS {
        let dir = out.join(dir);
        create_dir(&dir)?;
        let path = dir.join(completion_file_name(shell, &name));
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut visible, &name, &mut buf);
        write(&path, &buf)?;
        written.completions.push(path);
    }
    Ok(written)
}

/// A copy of an (unbuilt) command with its arguments and visible subcommands only; clap adds
/// the help and version flags when the copy is built, as it does for the original.
fn visible_only(cmd: &Command) -> Command {
    let mut copy = Command::new(cmd.get_name().to_string()).args(cmd.get_arguments().cloned());
    if let Some(version) = cmd.get_version() {
        copy = copy.version(version.to_string());
    }
    if let Some(about) = cmd.get_about() {
        copy = copy.about(about.clone());
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        copy = copy.subcommand(visible_only(sub));
    }
    copy
}

/// The file name each shell's loader expects: bash by the command's name, zsh `_name`, fish
/// `name.fish`.
fn completion_file_name(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{name}"),
        Shell::Fish => format!("{name}.fish"),
        _ => name.to_string(),
    }
}

fn write_man_pages(
    cmd: &Command,
    page: &str,
    dir: &Path,
    written: &mut Written,
) -> Result<(), DocsError> {
    // The page of a subcommand is named by its full invocation ("twofold-portal-user-add"), so
    // `man twofold-portal-user-add` finds it and its NAME line matches the file (what `whatis`
    // and lintian read); the SYNOPSIS keeps the bin name clap set when building
    // ("twofold-portal user add").
    let titled = cmd.clone().name(page.to_string());
    let mut buf = Vec::new();
    clap_mangen::Man::new(titled)
        .section("1")
        .manual("Twofold")
        .source(format!("Twofold {}", cmd.get_version().unwrap_or("")))
        .render(&mut buf)
        .map_err(|source| DocsError::Write { path: dir.join(page), source })?;
    let path = dir.join(format!("{page}.1"));
    write(&path, &buf)?;
    written.man_pages.push(path);
    // clap's generated `help` subcommand is `--help` again: no page of its own.
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let sub_page = format!("{page}-{}", sub.get_name());
        let sub = sub.clone().version(cmd.get_version().unwrap_or("").to_string());
        write_man_pages(&sub, &sub_page, dir, written)?;
    }
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), DocsError> {
    fs::create_dir_all(dir).map_err(|source| DocsError::Write { path: dir.to_path_buf(), source })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), DocsError> {
    fs::write(path, bytes).map_err(|source| DocsError::Write { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn example() -> Command {
        Command::new("demo-tool")
            .version("1.2.3")
            .about("A tool")
            .subcommand(
                Command::new("user")
                    .about("Users")
                    .subcommand(Command::new("add").about("Add a user").arg(Arg::new("name"))),
            )
            .subcommand(Command::new("secret-step").hide(true))
            .arg(Arg::new("verbose").long("verbose").action(ArgAction::SetTrue))
    }

    #[test]
    fn every_visible_subcommand_gets_a_page_named_by_its_invocation() {
        let out = tempfile::tempdir().unwrap();
        let written = write_docs(example(), out.path()).unwrap();
        let names: Vec<String> = written
            .man_pages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["demo-tool.1", "demo-tool-user.1", "demo-tool-user-add.1"]);
        let add = fs::read_to_string(out.path().join("man/demo-tool-user-add.1")).unwrap();
        assert!(add.contains("Add a user"), "{add}");
        assert!(add.contains("1.2.3"), "the version is on every page: {add}");
    }

    #[test]
    fn hidden_subcommands_appear_in_no_page_and_no_completion() {
        let out = tempfile::tempdir().unwrap();
        let written = write_docs(example(), out.path()).unwrap();
        for path in &written.man_pages {
            let text = fs::read_to_string(path).unwrap();
            assert!(!text.contains("secret-step"), "{}", path.display());
        }
        // What each shell offers: bash's `opts` lists (its case arms name every subcommand,
        // hidden ones too, so that a typed one completes its own flags), zsh's and fish's
        // whole script.
        for path in &written.completions {
            let text = fs::read_to_string(path).unwrap();
            let offered: String = if path.to_string_lossy().contains("bash-completion") {
                text.lines().filter(|l| l.trim_start().starts_with("opts=")).collect()
            } else {
                text.clone()
            };
            assert!(!offered.contains("secret-step"), "{}:\n{offered}", path.display());
        }
    }

    #[test]
    fn completions_go_where_each_shell_looks_for_them() {
        let out = tempfile::tempdir().unwrap();
        write_docs(example(), out.path()).unwrap();
        for rel in [
            "bash-completion/completions/demo-tool",
            "zsh/vendor-completions/_demo-tool",
            "fish/vendor_completions.d/demo-tool.fish",
        ] {
            let text = fs::read_to_string(out.path().join(rel)).unwrap();
            assert!(text.contains("verbose"), "{rel}: {text}");
        }
    }
}

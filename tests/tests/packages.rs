//! The Debian packages of `make package` (scripts/package.sh), checked the way a packager and
//! an administrator would: lintian passes on both, the desktop entry and the AppStream
//! metainfo validate, `systemd-analyze verify` accepts the portal's unit and its sandbox scores
//! well in `systemd-analyze security`, the files sit where Debian looks for them (man pages,
//! completions, icons at every size, the conffile), and the binaries extracted from the
//! packages (`dpkg-deb -x`) run a whole `twofold loop-check` against each other.
//!
//! The packages are built once per run from the debug binaries `make build` made (the package
//! layout does not depend on the optimiser), into `target/package-test`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use twofold_e2e::desktop_session::{DesktopSession, SESSION_TOOLS};
use twofold_e2e::portal::{portal_binary, PortalOptions};
use twofold_e2e::{tools_present, Portal};

const PACKAGE_TOOLS: &[&str] =
    &["dpkg-deb", "dpkg-shlibdeps", "lintian", "desktop-file-validate", "appstreamcli"];

struct Packages {
    portal_deb: PathBuf,
    desktop_deb: PathBuf,
    /// Both packages extracted into one tree, as if installed side by side.
    root: PathBuf,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Builds and extracts the packages once for all the tests of this file.
fn packages() -> &'static Packages {
    static BUILT: OnceLock<Packages> = OnceLock::new();
    BUILT.get_or_init(|| {
        let bin_dir = portal_binary().parent().expect("bin dir").to_path_buf();
        let out_dir = bin_dir.join("package-test");
        let _ = std::fs::remove_dir_all(&out_dir);
        let built = run(Command::new(repo_root().join("scripts/package.sh"))
            .args(["--profile", "debug", "--no-build", "--bin-dir"])
            .arg(&bin_dir)
            .arg("--out")
            .arg(&out_dir));
        assert!(built.status.success(), "scripts/package.sh failed:\n{}", text(&built));
        let find = |prefix: &str| {
            std::fs::read_dir(&out_dir)
                .expect("package dir")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    name.starts_with(prefix) && name.ends_with(".deb")
                })
                .unwrap_or_else(|| panic!("no {prefix}*.deb in {}", out_dir.display()))
        };
        let portal_deb = find("twofold-portal_");
        let desktop_deb = find("twofold_");
        let root = out_dir.join("root");
        for deb in [&portal_deb, &desktop_deb] {
            let x = run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root));
            assert!(x.status.success(), "dpkg-deb -x {}: {}", deb.display(), text(&x));
        }
        Packages { portal_deb, desktop_deb, root }
    })
}

fn field(deb: &Path, name: &str) -> String {
    let out = run(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name));
    assert!(out.status.success(), "dpkg-deb -f: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn lintian_finds_no_error_and_no_warning_in_either_package() {
    if !tools_present("lintian_finds_no_error_and_no_warning_in_either_package", PACKAGE_TOOLS) {
        return;
    }
    let p = packages();
    for deb in [&p.portal_deb, &p.desktop_deb] {
        let out = run(Command::new("lintian")
            .args(["--fail-on", "error,warning", "--tag-display-limit", "0"])
            .arg(deb));
        assert!(out.status.success(), "lintian {}:\n{}", deb.display(), text(&out));
    }
}

#[test]
fn the_desktop_entry_and_the_appstream_metainfo_validate() {
    if !tools_present("the_desktop_entry_and_the_appstream_metainfo_validate", PACKAGE_TOOLS) {
        return;
    }
    let root = &packages().root;
    let entry = root.join("usr/share/applications/dev.twofold.desktop.desktop");
    let out = run(Command::new("desktop-file-validate").arg(&entry));
    assert!(out.status.success() && text(&out).trim().is_empty(), "{}", text(&out));
    let metainfo = root.join("usr/share/metainfo/dev.twofold.desktop.metainfo.xml");
    let out = run(Command::new("appstreamcli").args(["validate", "--no-net"]).arg(&metainfo));
    assert!(out.status.success() && !text(&out).contains("W:"), "{}", text(&out));
}

#[test]
fn the_portal_unit_verifies_and_its_sandbox_is_rated_safe() {
    if !tools_present(
        "the_portal_unit_verifies_and_its_sandbox_is_rated_safe",
        &["systemd-analyze"],
    ) || !tools_present("packages", PACKAGE_TOOLS)
    {
        return;
    }
    let root = &packages().root;
    let unit = root.join("lib/systemd/system/twofold-portal.service");
    // verify resolves the unit's dependencies (sysinit.target…) and checks that ExecStart's
    // binary exists, under --root: a root with this machine's units and the packaged files.
    let verify_root = tempfile::tempdir().expect("temp dir");
    let vr = verify_root.path();
    std::fs::create_dir_all(vr.join("lib/systemd")).unwrap();
    std::fs::create_dir_all(vr.join("usr/bin")).unwrap();
    let copied =
        run(Command::new("cp").arg("-r").arg("/lib/systemd/system").arg(vr.join("lib/systemd")));
    assert!(copied.status.success(), "{}", text(&copied));
    std::fs::copy(&unit, vr.join("lib/systemd/system/twofold-portal.service")).unwrap();
    std::fs::copy(root.join("usr/bin/twofold-portal"), vr.join("usr/bin/twofold-portal")).unwrap();
    let out = run(Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", vr.display()))
        .arg(vr.join("lib/systemd/system/twofold-portal.service")));
    assert!(
        out.status.success() && !text(&out).contains("twofold-portal.service:"),
        "systemd-analyze verify:\n{}",
        text(&out)
    );
    let out = run(Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(format!("--root={}", root.display()))
        .arg(&unit));
    let report = text(&out);
    // "→ Overall exposure level for twofold-portal.service: 1.6 OK 🙂"
    let level: f64 = report
        .lines()
        .find_map(|l| l.split("twofold-portal.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no overall exposure level in:\n{report}"));
    assert!(level <= 2.0, "exposure {level} (OK is up to 3.9, we promise better):\n{report}");
}

#[test]
fn each_package_has_its_man_pages_completions_and_documents_where_debian_looks() {
    if !tools_present("each_package_has_its_man_pages_…", PACKAGE_TOOLS) {
        return;
    }
    let p = packages();
    let root = &p.root;
    for file in [
        "usr/bin/twofold-portal",
        "usr/bin/twofold",
        "usr/share/man/man1/twofold-portal.1.gz",
        "usr/share/man/man1/twofold-portal-serve.1.gz",
        "usr/share/man/man1/twofold-portal-user-add.1.gz",
        "usr/share/man/man1/twofold.1.gz",
        "usr/share/man/man1/twofold-loop-check.1.gz",
        "usr/share/bash-completion/completions/twofold-portal",
        "usr/share/zsh/vendor-completions/_twofold-portal",
        "usr/share/fish/vendor_completions.d/twofold.fish",
        "usr/share/doc/twofold-portal/copyright",
        "usr/share/doc/twofold/changelog.gz",
        "etc/twofold/portal.toml",
        "usr/share/icons/hicolor/scalable/apps/dev.twofold.desktop.svg",
    ] {
        assert!(root.join(file).is_file(), "{file} missing from the packages");
    }
    for px in [16, 22, 24, 32, 48, 64, 128, 256, 512] {
        let icon =
            root.join(format!("usr/share/icons/hicolor/{px}x{px}/apps/dev.twofold.desktop.png"));
        let png = std::fs::read(&icon).unwrap_or_else(|e| panic!("{}: {e}", icon.display()));
        // The IHDR width and height, big-endian at bytes 16..24.
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), (px, px), "{}", icon.display());
    }
    // Hidden subcommands stay out of the manual.
    assert!(!root.join("usr/share/man/man1/twofold-portal-generate-docs.1.gz").exists());
    let serve = run(Command::new("man")
        .arg("-l")
        .arg(root.join("usr/share/man/man1/twofold-portal-serve.1.gz"))
        .env("MANWIDTH", "80"));
    assert!(
        text(&serve).contains("--config"),
        "the serve page documents --config:\n{}",
        text(&serve)
    );
    // An administrator's edits of the config survive upgrades: it is a conffile.
    let conffiles = run(Command::new("dpkg-deb").arg("-I").arg(&p.portal_deb).arg("conffiles"));
    assert_eq!(text(&conffiles).trim(), "/etc/twofold/portal.toml");
    assert!(field(&p.portal_deb, "Depends").contains("adduser"), "postinst adds a system user");
    assert!(field(&p.desktop_deb, "Depends").contains("libwebkit2gtk-4.1"), "runtime libraries");
    assert!(field(&p.desktop_deb, "Recommends").contains("gnome-keyring"));
}

#[tokio::test]
async fn the_packaged_binaries_pass_a_loop_check_against_each_other() {
    let test = "the_packaged_binaries_pass_a_loop_check_against_each_other";
    if !tools_present(test, PACKAGE_TOOLS) || !tools_present(test, SESSION_TOOLS) {
        return;
    }
    let root = &packages().root;
    let portal = Portal::start_with(PortalOptions {
        bin: Some(root.join("usr/bin/twofold-portal")),
        ..PortalOptions::default()
    })
    .await;
    let session = DesktopSession::start();
    let vault = session.home.join("vault");
    let token = portal.data_dir().join("admin.token");
    let out = run(Command::new(root.join("usr/bin/twofold"))
        .envs(session.env())
        .env("TWOFOLD_VAULT_DIR", &vault)
        .args(["loop-check", "--portal", &portal.base, "--admin-url", &portal.admin_base])
        .arg("--admin-token-file")
        .arg(&token));
    assert_eq!(
        out.status.code(),
        Some(0),
        "the packaged twofold's loop check against the packaged portal:\n{}\n{}",
        text(&out),
        portal.logs_text()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("clean-up"), "{}", text(&out));
}

//! The `twofold` command line of the Authenticator mode, against independent tools: `code`
//! equals oathtool for SHA1/SHA256/SHA512, 6/7/8 digits, 15/30/60 s periods and HOTP; `scan`
//! reads qrencode's PNGs (and a Google Authenticator transfer QR); `import --dry-run` yields
//! every entry `expected.json` lists for each supported export, field by field; `import`
//! stores into an isolated vault and a real keyring; bad input of every kind exits non-zero
//! with a message on stderr and changes nothing.

use std::process::Output;

use twofold_e2e::app::app_binary;
use twofold_e2e::authenticator_tools::{
    expected_imports, import_fixture, oathtool_hotp, oathtool_totp_at, qr_png, twofold_cli,
    OathParams,
};
use twofold_e2e::desktop_session::{DesktopSession, SESSION_TOOLS};
use twofold_e2e::{tools_present, OtpauthUri};

/// 20-, 32- and 64-byte seeds of RFC 6238 Appendix B, in base32.
const SEED_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SEED_SHA256: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
const SEED_SHA512: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA";

fn tools(test: &str, extra: &[&str]) -> bool {
    let mut all = vec!["oathtool"];
    all.extend_from_slice(extra);
    // The CLI is the app binary: without it built there is nothing to test.
    let _ = app_binary();
    tools_present(test, &all)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a failure: non-zero exit, a message on stderr, nothing on stdout.
fn assert_fails_with(out: &Output, words: &str) {
    assert!(!out.status.success(), "expected a failure, got success: {}", stdout(out));
    let err = stderr(out);
    assert!(
        err.to_lowercase().contains(&words.to_lowercase()),
        "stderr {err:?} should mention {words:?}"
    );
    assert!(stdout(out).trim().is_empty(), "nothing on stdout on failure: {}", stdout(out));
}

#[test]
fn cli_code_equals_oathtool_for_every_algorithm_digit_count_and_period() {
    if !tools("cli_code_equals_oathtool_for_every_algorithm_digit_count_and_period", &[]) {
        return;
    }
    for (algorithm, seed) in [("SHA1", SEED_SHA1), ("SHA256", SEED_SHA256), ("SHA512", SEED_SHA512)]
    {
        for digits in [6u32, 7, 8] {
            for period in [15u64, 30, 60] {
                for at in [59u64, 1_111_111_109, 1_700_000_000, 2_000_000_000] {
                    let uri = format!("otpauth://totp/Test:vector?secret={seed}&algorithm={algorithm}&digits={digits}&period={period}");
                    let out = twofold_cli(&["code", &uri, "--at", &at.to_string()], &[], None);
                    assert!(out.status.success(), "{uri}: {}", stderr(&out));
                    let params =
                        OathParams { secret_b32: seed, algorithm, digits, period: Some(period) };
                    assert_eq!(
                        stdout(&out).trim(),
                        oathtool_totp_at(&params, at),
                        "{algorithm}/{digits}/{period}s at {at}"
                    );
                }
            }
        }
    }
    // RFC 6238 Appendix B, straight from the RFC: SHA1, 8 digits, T=59.
    let out = twofold_cli(
        &["code", &format!("otpauth://totp/x?secret={SEED_SHA1}&digits=8"), "--at", "59"],
        &[],
        None,
    );
    assert_eq!(stdout(&out).trim(), "94287082");
}

#[test]
fn cli_code_of_an_hotp_uri_is_oathtools_code_for_its_counter() {
    if !tools("cli_code_of_an_hotp_uri_is_oathtools_code_for_its_counter", &[]) {
        return;
    }
    for counter in [0u64, 1, 9, 1000] {
        for digits in [6u32, 8] {
            let uri = format!(
                "otpauth://hotp/Bank:bob?secret={SEED_SHA1}&counter={counter}&digits={digits}"
            );
            let out = twofold_cli(&["code", &uri], &[], None);
            let params =
                OathParams { secret_b32: SEED_SHA1, algorithm: "SHA1", digits, period: None };
            assert_eq!(stdout(&out).trim(), oathtool_hotp(&params, counter), "counter {counter}");
        }
    }
}

#[test]
fn cli_code_refuses_bad_uris_with_a_message_and_never_echoes_the_key() {
    if !tools("cli_code_refuses_bad_uris_with_a_message_and_never_echoes_the_key", &[]) {
        return;
    }
    assert_fails_with(&twofold_cli(&["code", "https://example.com"], &[], None), "otpauth");
    let out = twofold_cli(&["code", "otpauth://totp/x?secret=SECRET1NVALID"], &[], None);
    assert_fails_with(&out, "base32");
    assert!(!stderr(&out).contains("SECRET1NVALID"), "the key is not echoed: {}", stderr(&out));
    assert_fails_with(
        &twofold_cli(
            &["code", &format!("otpauth://totp/x?secret={SEED_SHA1}&digits=12")],
            &[],
            None,
        ),
        "digits",
    );
    assert_fails_with(
        &twofold_cli(
            &["code", &format!("otpauth://totp/x?secret={SEED_SHA1}&algorithm=MD5")],
            &[],
            None,
        ),
        "algorithm",
    );
    let out = twofold_cli(&["code"], &[], None);
    assert!(!out.status.success() && stderr(&out).contains("URI"), "usage error: {}", stderr(&out));
}

#[test]
fn cli_scan_prints_the_otpauth_uri_of_a_qrencode_png() {
    if !tools("cli_scan_prints_the_otpauth_uri_of_a_qrencode_png", &["qrencode"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let uri = format!("otpauth://totp/ACME%20Co:john.doe@example.com?secret={SEED_SHA256}&issuer=ACME%20Co&algorithm=SHA256&digits=7&period=60");
    let png = dir.path().join("acme.png");
    qr_png(&uri, &png, 4);
    let web = dir.path().join("web.png");
    qr_png("https://example.com/", &web, 4);
    let out = twofold_cli(&["scan", &png.to_string_lossy(), &web.to_string_lossy()], &[], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 1, "one account: {lines:?}");
    let printed = OtpauthUri::parse(&lines[0]).expect("an otpauth URI");
    assert_eq!(printed.param("secret"), Some(SEED_SHA256));
    assert_eq!(printed.param("issuer"), Some("ACME Co"));
    assert_eq!(
        (printed.param("algorithm"), printed.param("digits"), printed.param("period")),
        (Some("SHA256"), Some("7"), Some("60"))
    );
    assert!(
        stderr(&out).contains("not authenticator codes"),
        "the web link QR is reported: {}",
        stderr(&out)
    );
    // The printed URI gives the same code as the original.
    let a = twofold_cli(&["code", &uri, "--at", "1700000000"], &[], None);
    let b = twofold_cli(&["code", &lines[0], "--at", "1700000000"], &[], None);
    assert_eq!(stdout(&a), stdout(&b));

    // A Google Authenticator transfer QR prints one URI per account.
    let transfer = import_fixture("google_migration/example_export.png");
    let out = twofold_cli(&["scan", &transfer.to_string_lossy()], &[], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().filter(|l| l.starts_with("otpauth://totp/")).count(),
        3,
        "{}",
        stdout(&out)
    );
}

#[test]
fn cli_scan_fails_with_a_message_for_no_qr_a_bad_file_or_a_missing_file() {
    if !tools("cli_scan_fails_with_a_message_for_no_qr_a_bad_file_or_a_missing_file", &["qrencode"])
    {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "this is not an image").expect("write");
    assert_fails_with(&twofold_cli(&["scan", &text.to_string_lossy()], &[], None), "not an image");
    assert_fails_with(&twofold_cli(&["scan", "/nonexistent/qr.png"], &[], None), "cannot read");
    let web = dir.path().join("web.png");
    qr_png("https://example.com/", &web, 4);
    assert_fails_with(
        &twofold_cli(&["scan", &web.to_string_lossy()], &[], None),
        "no authenticator QR code",
    );
    // An absurd image is refused from its header, without decoding 20000x20000 pixels.
    let huge = dir.path().join("huge.png");
    let status = std::process::Command::new("/usr/bin/convert")
        .args(["-size", "20001x20001", "xc:white"])
        .arg(&huge)
        .status();
    if status.is_ok_and(|s| s.success()) {
        assert_fails_with(&twofold_cli(&["scan", &huge.to_string_lossy()], &[], None), "pixels");
    }
}

/// The export files Twofold reads, by name in expected.json.
const SUPPORTED: &[&str] = &[
    "plain.txt",
    "aegis_plain.json",
    "aegis_encrypted.json",
    "ente_auth.txt",
    "andotp_plain.json",
    "andotp_encrypted.bin",
    "andotp_encrypted_old.bin",
    "stratum_plain.json",
    "bitwarden.json",
    "bitwarden.csv",
    "freeotp_plus.json",
    "2fas_authenticator_plain.2fas",
    "2fas_authenticator_encrypted.2fas",
    "2fas_authenticator_plain_v3.2fas",
    "2fas_authenticator_encrypted_v3.2fas",
    "2fas_authenticator_plain_v4.2fas",
    "2fas_authenticator_encrypted_v4.2fas",
    "proton_authenticator.json",
];

#[test]
fn cli_import_dry_run_prints_every_expected_entry_of_each_supported_export() {
    if !tools("cli_import_dry_run_prints_every_expected_entry_of_each_supported_export", &[]) {
        return;
    }
    let expected = expected_imports();
    for file in SUPPORTED {
        let spec = &expected["files"][*file];
        let path = import_fixture(file);
        let mut args =
            vec!["import".to_string(), path.to_string_lossy().into_owned(), "--dry-run".into()];
        let password = spec["password"].as_str().map(|p| format!("{p}\n"));
        if password.is_some() {
            args.push("--password-stdin".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = twofold_cli(&args, &[], password.as_deref());
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        let printed: Vec<OtpauthUri> = stdout(&out)
            .lines()
            .map(|l| OtpauthUri::parse(l).unwrap_or_else(|| panic!("{file}: not a URI: {l}")))
            .collect();
        for entry in spec["entries"].as_array().expect("entries") {
            let secret =
                entry["secret"].as_str().expect("secret").trim_end_matches('=').to_uppercase();
            let kind = entry["type"].as_str().expect("type");
            let found = printed
                .iter()
                .find(|u| u.param("secret") == Some(secret.as_str()) && u.kind == kind)
                .unwrap_or_else(|| panic!("{file}: entry {entry} not printed:\n{}", stdout(&out)));
            let name = entry["name"].as_str().unwrap_or("");
            let label =
                percent_encoding::percent_decode_str(&found.label).decode_utf8_lossy().into_owned();
            assert!(label.ends_with(name), "{file}: label {label:?} for {name:?}");
            if kind == "steam" {
                continue;
            }
            assert_eq!(
                found.param("algorithm"),
                entry["algorithm"].as_str(),
                "{file} {name}: algorithm"
            );
            assert_eq!(
                found.param("digits").and_then(|d| d.parse::<u64>().ok()),
                entry["digits"].as_u64(),
                "{file} {name}: digits"
            );
            match kind {
                "totp" => assert_eq!(
                    found.param("period").and_then(|p| p.parse::<u64>().ok()),
                    entry["period"].as_u64(),
                    "{file} {name}: period"
                ),
                _ => assert_eq!(
                    found.param("counter").and_then(|c| c.parse::<u64>().ok()),
                    entry["counter"].as_u64(),
                    "{file} {name}: counter"
                ),
            }
        }
        assert!(stderr(&out).contains("nothing was stored"), "{file}: {}", stderr(&out));
    }
}

#[test]
fn cli_import_fails_with_a_message_for_wrong_password_missing_password_truncated_or_unknown_files()
{
    if !tools("cli_import_fails_with_a_message_for_wrong_password_missing_password_truncated_or_unknown_files", &[]) {
        return;
    }
    let aegis = import_fixture("aegis_encrypted.json").to_string_lossy().into_owned();
    assert_fails_with(
        &twofold_cli(&["import", &aegis, "--dry-run", "--password-stdin"], &[], Some("wrong\n")),
        "wrong password",
    );
    // stdin is a pipe, not a terminal: no prompt, a message saying how to give the password.
    assert_fails_with(
        &twofold_cli(&["import", &aegis, "--dry-run"], &[], None),
        "--password-stdin",
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let full = std::fs::read(import_fixture("aegis_plain.json")).expect("fixture");
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &full[..full.len() / 2]).expect("write");
    assert_fails_with(
        &twofold_cli(&["import", &cut.to_string_lossy(), "--dry-run"], &[], None),
        "aegis",
    );
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").expect("write");
    assert_fails_with(
        &twofold_cli(&["import", &empty.to_string_lossy(), "--dry-run"], &[], None),
        "empty",
    );
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "just some notes\n").expect("write");
    assert_fails_with(
        &twofold_cli(&["import", &notes.to_string_lossy(), "--dry-run"], &[], None),
        "not an export",
    );
    assert_fails_with(
        &twofold_cli(&["import", "/nonexistent/export.json", "--dry-run"], &[], None),
        "cannot read",
    );
}

#[test]
fn cli_import_adds_accounts_to_the_vault_in_the_keyring_and_skips_them_the_second_time() {
    let test =
        "cli_import_adds_accounts_to_the_vault_in_the_keyring_and_skips_them_the_second_time";
    if !tools(test, SESSION_TOOLS) {
        return;
    }
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let mut env: Vec<(String, String)> = session.env();
    env.push(("TWOFOLD_VAULT_DIR".into(), vault.path().to_string_lossy().into_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let file = import_fixture("plain.txt").to_string_lossy().into_owned();

    let out = twofold_cli(&["import", &file], &env, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("7 added, 0 already in the vault"), "{}", stdout(&out));
    let items = session.keyring_search("twofold");
    assert!(items.contains("secret = 4SJHB4GSD43FZBAI7C2HLRJGPQ"), "{items}");
    assert!(
        vault.path().read_dir().expect("vault dir").count() > 0,
        "the metadata is in TWOFOLD_VAULT_DIR"
    );

    let again = twofold_cli(&["import", &file], &env, None);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains("0 added, 7 already in the vault"), "{}", stdout(&again));
}

#[test]
fn cli_export_writes_an_aegis_vault_and_a_uri_list_that_import_back_to_the_same_accounts() {
    let test =
        "cli_export_writes_an_aegis_vault_and_a_uri_list_that_import_back_to_the_same_accounts";
    if !tools(test, SESSION_TOOLS) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let mut env: Vec<(String, String)> = session.env();
    env.push(("TWOFOLD_VAULT_DIR".into(), vault.path().to_string_lossy().into_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let fixture = import_fixture("plain.txt").to_string_lossy().into_owned();
    let out = twofold_cli(&["import", &fixture], &env, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = stdout(&twofold_cli(&["import", &fixture, "--dry-run"], &env, None));

    let files = tempfile::tempdir().expect("out dir");
    let aegis = files.path().join("backup.json").to_string_lossy().into_owned();
    let out = twofold_cli(
        &["export", "--format", "aegis", "--out", &aegis, "--password-stdin"],
        &env,
        Some("export pw\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = std::fs::metadata(&aegis).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the export is private to its owner");
    let text = std::fs::read_to_string(&aegis).unwrap();
    assert!(!text.contains("4SJHB4GSD43FZBAI7C2HLRJGPQ"), "no secret in clear text");
    let back = twofold_cli(
        &["import", &aegis, "--dry-run", "--password-stdin"],
        &env,
        Some("export pw\n"),
    );
    assert!(back.status.success(), "{}", stderr(&back));
    assert_eq!(stdout(&back), expected, "the Aegis export holds every account as it was");
    let wrong =
        twofold_cli(&["import", &aegis, "--dry-run", "--password-stdin"], &env, Some("nope\n"));
    assert_fails_with(&wrong, "password");

    let again = twofold_cli(
        &["export", "--format", "aegis", "--out", &aegis, "--password-stdin"],
        &env,
        Some("x\n"),
    );
    assert_fails_with(&again, "--force");
    assert_eq!(std::fs::read_to_string(&aegis).unwrap(), text, "the old file is untouched");

    let uris = files.path().join("uris.txt").to_string_lossy().into_owned();
    let out = twofold_cli(&["export", "--format", "uris", "--out", &uris], &env, Some(""));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("clear text"), "a warning comes first: {}", stderr(&out));
    let back = twofold_cli(&["import", &uris, "--dry-run"], &env, None);
    assert_eq!(stdout(&back), expected, "the URI list holds every account as it was");
}

#[test]
fn cli_export_google_qr_writes_transfer_codes_that_scan_and_import_back_and_skips_what_google_cannot_show(
) {
    let test = "cli_export_google_qr_writes_transfer_codes_that_scan_and_import_back_and_skips_what_google_cannot_show";
    if !tools(test, &[SESSION_TOOLS, &["zbarimg"]].concat()) {
        return;
    }
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    let mut env: Vec<(String, String)> = session.env();
    env.push(("TWOFOLD_VAULT_DIR".into(), vault.path().to_string_lossy().into_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let files = tempfile::tempdir().expect("files");
    let list = files.path().join("accounts.txt");
    let carried = [
        "otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
        "otpauth://totp/carol%2B2fa%40example.net?secret=GEZDGNBVGY3TQOJQ&digits=8",
        "otpauth://hotp/VPN:bob?secret=MFRGGZDFMZTWQ2LK&issuer=VPN&counter=7",
    ];
    let not_carried = "otpauth://totp/Slow:dana?secret=ONSWG4TFOQYTEMZU&issuer=Slow&period=60";
    std::fs::write(&list, format!("{}\n{not_carried}\n", carried.join("\n"))).unwrap();
    let list = list.to_string_lossy().into_owned();
    assert!(twofold_cli(&["import", &list], &env, None).status.success());
    let expected: String = stdout(&twofold_cli(&["import", &list, "--dry-run"], &env, None))
        .lines()
        .filter(|l| !l.contains("Slow"))
        .map(|l| format!("{l}\n"))
        .collect();

    let out_dir = files.path().join("transfer");
    let out_dir_s = out_dir.to_string_lossy().into_owned();
    let out = twofold_cli(&["export", "--format", "google-qr", "--out", &out_dir_s], &env, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("skipped Slow (dana): Google Authenticator only knows 30-second codes"),
        "{}",
        stderr(&out)
    );
    let png = out_dir.join("transfer-1-of-1.png");
    assert!(png.is_file(), "{}", stdout(&out));

    // The app's own scanner reads the accounts out of the code; zbar, independently, reads
    // the migration URI, which the importer turns into the same accounts.
    let png_s = png.to_string_lossy().into_owned();
    let scanned = stdout(&twofold_cli(&["scan", &png_s], &env, None));
    assert_eq!(scanned, expected, "twofold scan of the transfer code");
    let zbar =
        std::process::Command::new("zbarimg").args(["-q", "--raw", &png_s]).output().unwrap();
    let raw = String::from_utf8_lossy(&zbar.stdout).into_owned();
    assert!(raw.starts_with("otpauth-migration://offline?data="), "{raw}");
    let codes = files.path().join("scanned.txt");
    std::fs::write(&codes, &raw).unwrap();
    let back = twofold_cli(&["import", &codes.to_string_lossy(), "--dry-run"], &env, None);
    assert!(back.status.success(), "{}", stderr(&back));
    assert_eq!(stdout(&back), expected, "the transfer code holds the accounts Google can show");
}

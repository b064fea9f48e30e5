//! The Aegis export against the reference: Aegis's own encrypted test vault in
//! `shared/corpus/imports/aegis_encrypted.json` (see its SOURCE.md). Every key Aegis writes in
//! a password slot, the header and an entry is in Twofold's export too, with the same scrypt
//! cost, and the fixture's own accounts go out and come back unchanged.

use std::path::PathBuf;

use twofold_core::export::aegis;
use twofold_core::import::detect_and_import;

fn fixture() -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/imports/aegis_encrypted.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .unwrap()
}

fn keys(value: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[test]
fn the_export_has_every_key_and_the_scrypt_cost_of_aegis_s_own_vault() {
    let reference = fixture();
    let plain = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/imports/aegis_plain.json"),
    )
    .unwrap();
    let accounts = detect_and_import(&plain, None).unwrap().accounts;
    let text = aegis::export(&accounts, "test", &mut rand::rngs::OsRng).unwrap();
    let ours: serde_json::Value = serde_json::from_str(&text).unwrap();

    assert_eq!(ours["version"], reference["version"]);
    for key in keys(&reference["header"]) {
        assert!(ours["header"].get(&key).is_some(), "header.{key} missing");
    }
    let (slot, theirs) = (&ours["header"]["slots"][0], &reference["header"]["slots"][0]);
    for key in keys(theirs) {
        assert!(slot.get(&key).is_some(), "slot.{key} missing");
    }
    for key in ["type", "n", "r", "p"] {
        assert_eq!(slot[key], theirs[key], "slot.{key}");
    }
    for key in ["key", "salt"] {
        assert_eq!(slot[key].as_str().unwrap().len(), theirs[key].as_str().unwrap().len());
    }

    let back = detect_and_import(text.as_bytes(), Some("test")).unwrap();
    assert!(back.skipped.is_empty(), "{:?}", back.skipped);
    assert_eq!(back.accounts, accounts, "every account comes back as it went out");
}

//! What the audit log records for text that came from outside: control and invisible
//! characters escaped, every field capped, so one entry is one line for whoever reads it.
//! Run against both backends.

use twofold_store::{AuditFilter, AuditRepo, NewAuditEntry, Store};

mod common;

const NOW: i64 = 1_700_000_000;

fn last(store: &dyn Store) -> twofold_store::AuditEntry {
    store.audit(&AuditFilter { limit: 1, ..Default::default() }).unwrap().remove(0)
}

macro_rules! shared_suite {
    ($open:expr) => {
        #[test]
        fn a_forged_line_in_a_typed_username_is_recorded_escaped() {
            let Some((_fixture, store)) = $open else { return };
            let typed = "bob\n1700000000\tadmin-api\t2fa.off\t\t";
            store
                .append_audit(NewAuditEntry {
                    at: NOW,
                    actor: "portal",
                    action: "signin.password_failed",
                    subject: Some(typed),
                    detail: Some("from 10.0.0.1\r\u{1b}[2K"),
                })
                .unwrap();
            let entry = last(&store);
            let subject = entry.subject.unwrap();
            assert_eq!(subject, "bob\\u{a}1700000000\\u{9}admin-api\\u{9}2fa.off\\u{9}\\u{9}");
            assert_eq!(entry.detail.unwrap(), "from 10.0.0.1\\u{d}\\u{1b}[2K");
        }

        #[test]
        fn unicode_line_separators_and_bidi_overrides_are_recorded_escaped() {
            let Some((_fixture, store)) = $open else { return };
            store
                .append_audit(NewAuditEntry {
                    at: NOW,
                    actor: "admin:eve\u{202e}",
                    action: "x",
                    subject: Some("a\u{2028}b\u{2029}c"),
                    detail: None,
                })
                .unwrap();
            let entry = last(&store);
            assert_eq!(entry.actor, "admin:eve\\u{202e}");
            assert_eq!(entry.subject.as_deref(), Some("a\\u{2028}b\\u{2029}c"));
        }

        #[test]
        fn long_fields_are_capped_at_128_characters() {
            let Some((_fixture, store)) = $open else { return };
            let long = "é".repeat(10_000);
            let escapes = "\n".repeat(10_000);
            store
                .append_audit(NewAuditEntry {
                    at: NOW,
                    actor: &long,
                    action: "x",
                    subject: Some(&long),
                    detail: Some(&escapes),
                })
                .unwrap();
            let entry = last(&store);
            for field in [entry.actor, entry.subject.unwrap(), entry.detail.unwrap()] {
                assert_eq!(field.chars().count(), 128, "{field}");
                assert!(field.ends_with('…'), "{field}");
                assert!(!field.contains('\n'));
            }
        }

        #[test]
        fn the_user_filter_finds_entries_about_a_name_that_was_escaped() {
            let Some((_fixture, store)) = $open else { return };
            let odd = "carol\u{200b}";
            for subject in [odd, "carol"] {
                store
                    .append_audit(NewAuditEntry {
                        at: NOW,
                        actor: "portal",
                        action: "signin.password_failed",
                        subject: Some(subject),
                        detail: None,
                    })
                    .unwrap();
            }
            let found = store
                .audit(&AuditFilter { subject: Some(odd.into()), limit: 10, ..Default::default() })
                .unwrap();
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].subject.as_deref(), Some("carol\\u{200b}"));
        }

        #[test]
        fn ordinary_names_are_recorded_unchanged() {
            let Some((_fixture, store)) = $open else { return };
            store
                .append_audit(NewAuditEntry {
                    at: NOW,
                    actor: "cli:root",
                    action: "user.add",
                    subject: Some("DOMAIN\\Zoë Ünal"),
                    detail: Some("ACME (50 seats, expires 2027-12-31)"),
                })
                .unwrap();
            let entry = last(&store);
            assert_eq!(entry.actor, "cli:root");
            assert_eq!(entry.subject.as_deref(), Some("DOMAIN\\Zoë Ünal"));
            assert_eq!(entry.detail.as_deref(), Some("ACME (50 seats, expires 2027-12-31)"));
        }
    };
}

mod sqlite {
    use super::*;
    shared_suite!(common::sqlite());
}

mod postgres {
    use super::*;
    shared_suite!(common::postgres());
}

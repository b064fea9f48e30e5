//! Making untrusted text safe to show on one line of a terminal or log: control characters,
//! line and paragraph separators, bidi overrides and other invisible format characters become
//! visible `\u{…}` escapes, so a name such as `"bob\n1700000000\tadmin\t2fa.off"` cannot
//! forge a line of the audit log or reorder what a reader sees.
//!
//! Leaves out what is merely unusual but visible (accents, CJK, emoji): those are names people
//! have. Length limits are the caller's business ([`truncate_chars`] helps).

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as is: C0/C1 controls and DEL (`\n`, `\t`, `\r`,
/// ESC…), the Unicode line/paragraph separators, bidi embeddings, overrides and isolates,
/// zero-width and other default-ignorable format characters, and the BOM.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'              // soft hyphen (invisible)
            | '\u{061C}'            // Arabic letter mark
            | '\u{180E}'            // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}' // line/paragraph separators, bidi embeddings/overrides
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates
            | '\u{FEFF}'            // BOM / zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
            | '\u{E0000}'..='\u{E007F}' // tag characters
        )
}

/// `text` with every [`is_unsafe_char`] replaced by its Rust-style escape `\u{hex}`; borrowed
/// when nothing needed escaping. A backslash is left alone: what matters is that the output is
/// one visible line, and doubling backslashes would garble Windows `DOMAIN\user` names.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// At most `max` characters of `text` (never splitting a character), with `…` as the last
/// character when something was cut, so a reader knows the text went on.
pub fn truncate_chars(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some(_) if max == 0 => Cow::Borrowed(""),
        Some(_) => {
            let keep = text.char_indices().nth(max - 1).map(|(i, _)| i).unwrap_or(text.len());
            Cow::Owned(format!("{}…", &text[..keep]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_borrowed_unchanged() {
        for name in ["alice", "DOMAIN\\bob", "Zoë Ünal", "田中", "a b", "🙂"] {
            assert!(matches!(escape_control(name), Cow::Borrowed(n) if n == name), "{name}");
        }
    }

    #[test]
    fn newlines_tabs_and_escape_sequences_become_visible_escapes() {
        assert_eq!(escape_control("bob\n1700000000\tadmin"), "bob\\u{a}1700000000\\u{9}admin");
        assert_eq!(escape_control("\r\u{1b}[31mred"), "\\u{d}\\u{1b}[31mred");
        assert_eq!(escape_control("del\u{7f}c1\u{85}"), "del\\u{7f}c1\\u{85}");
    }

    #[test]
    fn unicode_separators_bidi_overrides_and_invisibles_are_escaped() {
        assert_eq!(escape_control("a\u{2028}b\u{2029}c"), "a\\u{2028}b\\u{2029}c");
        assert_eq!(escape_control("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(escape_control("x\u{2066}y\u{2069}"), "x\\u{2066}y\\u{2069}");
        assert_eq!(escape_control("zero\u{200b}width\u{feff}"), "zero\\u{200b}width\\u{feff}");
    }

    #[test]
    fn escaped_text_has_no_unsafe_character_left() {
        let nasty: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!escape_control(&nasty).chars().any(is_unsafe_char));
    }

    #[test]
    fn truncation_keeps_whole_characters_and_marks_the_cut() {
        assert_eq!(truncate_chars("alice", 5), "alice");
        assert_eq!(truncate_chars("alice", 10), "alice");
        assert_eq!(truncate_chars("alice", 3), "al…");
        assert_eq!(truncate_chars("ééééé", 3), "éé…");
        assert_eq!(truncate_chars("ééééé", 3).chars().count(), 3);
        assert_eq!(truncate_chars("abc", 0), "");
    }
}

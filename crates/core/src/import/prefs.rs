//! Android `SharedPreferences` XML, the file several apps keep their tokens in
//! (`shared_prefs/*.xml`): a `<map>` of typed entries, `<string name="…">escaped text</string>`,
//! `<int name="…" value="…" />` and the like.
//!
//! A small, strict parser for exactly what Android's `XmlSerializer` writes: an optional
//! `<?xml …?>` declaration, one `<map>`, entries of the known element names (`string`, `set`
//! of `string`s, and the self-closing `int`, `long`, `float`, `boolean`, `null`), the five
//! named entities and numeric character references. Anything else (comments, CDATA, other
//! elements, text outside an entry) is [`ImportError::Malformed`]; input that ends before
//! `</map>` is [`ImportError::Truncated`]. Only `string` values are returned, in file order,
//! in `Zeroizing` buffers: they hold the secrets.

use zeroize::Zeroizing;

use super::{Format, ImportError};

/// One `<string>` entry: its `name` attribute and its decoded text.
pub(crate) struct StringPref {
    pub name: String,
    pub value: Zeroizing<String>,
}

/// Whether `text` starts like a preference file: the XML declaration or `<map`.
pub(crate) fn looks_like_prefs(text: &str) -> bool {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with("<?xml") || text.starts_with("<map")
}

/// The `<string>` entries of a preference file, in file order.
pub(crate) fn strings(format: Format, bytes: &[u8]) -> Result<Vec<StringPref>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::malformed(format, "the preference file is not UTF-8"))?;
    Parser { format, text, at: 0 }.document()
}

/// Finds the entry called `name`.
pub(crate) fn find<'a>(prefs: &'a [StringPref], name: &str) -> Option<&'a StringPref> {
    prefs.iter().find(|p| p.name == name)
}

struct Parser<'a> {
    format: Format,
    text: &'a str,
    at: usize,
}

/// Elements Android writes as `<type name="…" value="…" />`.
const SCALAR_ELEMENTS: [&str; 5] = ["int", "long", "float", "boolean", "null"];

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn truncated(&self) -> ImportError {
        ImportError::Truncated { format: self.format }
    }

    fn malformed(&self, what: &str) -> ImportError {
        ImportError::malformed(self.format, format!("{what} at byte {}", self.at))
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
    }

    /// Consumes `token` if the input continues with it. At the end of the input, a prefix of
    /// `token` means the file was cut inside it.
    fn eat(&mut self, token: &str) -> Result<bool, ImportError> {
        let rest = self.rest();
        if rest.starts_with(token) {
            self.at += token.len();
            Ok(true)
        } else if token.starts_with(rest) {
            Err(self.truncated())
        } else {
            Ok(false)
        }
    }

    fn expect(&mut self, token: &str, what: &str) -> Result<(), ImportError> {
        if self.eat(token)? {
            Ok(())
        } else {
            Err(self.malformed(what))
        }
    }

    fn document(mut self) -> Result<Vec<StringPref>, ImportError> {
        self.skip_whitespace();
        if self.eat("<?xml")? {
            let end = self.rest().find("?>").ok_or_else(|| self.truncated())?;
            self.at += end + 2;
            self.skip_whitespace();
        }
        self.expect("<map", "expected <map>")?;
        let (_, self_closing) = self.attributes()?;
        let mut prefs = Vec::new();
        if !self_closing {
            loop {
                self.skip_whitespace();
                if self.eat("</map")? {
                    self.skip_whitespace();
                    self.expect(">", "expected > after </map")?;
                    break;
                }
                self.expect("<", "expected an entry")?;
                let element = self.name()?;
                let (name, self_closing) = self.attributes()?;
                if element == "string" {
                    let name = name.ok_or_else(|| self.malformed("<string> without a name"))?;
                    let value = if self_closing {
                        Zeroizing::new(String::new())
                    } else {
                        self.text_until("string")?
                    };
                    prefs.push(StringPref { name, value });
                } else if element == "set" {
                    if !self_closing {
                        self.set()?;
                    }
                } else if SCALAR_ELEMENTS.contains(&element) {
                    if !self_closing {
                        return Err(self.malformed("expected a self-closing element"));
                    }
                } else {
                    return Err(self.malformed("unknown preference element"));
                }
            }
        }
        self.skip_whitespace();
        if !self.rest().is_empty() {
            return Err(self.malformed("content after </map>"));
        }
        Ok(prefs)
    }

    /// The members of a `<set>`, which are nameless `<string>`s; their values are not needed.
    fn set(&mut self) -> Result<(), ImportError> {
        loop {
            self.skip_whitespace();
            if self.eat("</set")? {
                self.skip_whitespace();
                return self.expect(">", "expected > after </set");
            }
            self.expect("<string", "expected <string> in a <set>")?;
            let (_, self_closing) = self.attributes()?;
            if !self_closing {
                drop(self.text_until("string")?);
            }
        }
    }

    /// An element or attribute name.
    fn name(&mut self) -> Result<&'a str, ImportError> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
            .ok_or_else(|| self.truncated())?;
        if len == 0 {
            return Err(self.malformed("expected a name"));
        }
        self.at += len;
        Ok(&rest[..len])
    }

    /// Reads attributes up to `>` or `/>`: the `name` attribute if any, and whether the
    /// element closed itself.
    fn attributes(&mut self) -> Result<(Option<String>, bool), ImportError> {
        let mut name = None;
        loop {
            self.skip_whitespace();
            if self.eat("/>")? {
                return Ok((name, true));
            }
            if self.eat(">")? {
                return Ok((name, false));
            }
            let attribute = self.name()?;
            self.skip_whitespace();
            self.expect("=", "expected = after an attribute name")?;
            self.skip_whitespace();
            let quote = match self.rest().chars().next() {
                None => return Err(self.truncated()),
                Some(q @ ('"' | '\'')) => q,
                Some(_) => return Err(self.malformed("expected a quoted attribute value")),
            };
            self.at += 1;
            let len = self.rest().find(quote).ok_or_else(|| self.truncated())?;
            let raw = &self.rest()[..len];
            let value = self.unescape(raw)?;
            self.at += len + 1;
            if attribute == "name" {
                name = Some(value.to_string());
            }
        }
    }

    /// Text up to `</element>`, unescaped; markup inside it is refused.
    fn text_until(&mut self, element: &str) -> Result<Zeroizing<String>, ImportError> {
        let len = self.rest().find('<').ok_or_else(|| self.truncated())?;
        let raw = &self.rest()[..len];
        let value = self.unescape(raw)?;
        self.at += len;
        self.expect("</", "markup inside a value")?;
        self.expect(element, "mismatched closing tag")?;
        self.skip_whitespace();
        self.expect(">", "expected > after a closing tag")?;
        Ok(value)
    }

    fn unescape(&self, raw: &str) -> Result<Zeroizing<String>, ImportError> {
        let mut out = Zeroizing::new(String::with_capacity(raw.len()));
        let mut rest = raw;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            rest = &rest[amp + 1..];
            let semi = rest.find(';').ok_or_else(|| self.malformed("unterminated entity"))?;
            let entity = &rest[..semi];
            let c = match entity {
                "quot" => '"',
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) =
                        entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(decimal) = entity.strip_prefix('#') {
                        decimal.parse().ok()
                    } else {
                        None
                    };
                    code.and_then(char::from_u32).ok_or_else(|| self.malformed("unknown entity"))?
                }
            };
            out.push(c);
            rest = &rest[semi + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORMAT: Format = Format::Authy;

    fn values(xml: &str) -> Result<Vec<(String, String)>, ImportError> {
        strings(FORMAT, xml.as_bytes())
            .map(|prefs| prefs.into_iter().map(|p| (p.name, p.value.to_string())).collect())
    }

    #[test]
    fn string_entries_are_returned_in_order_with_entities_decoded() {
        let xml = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n\
            <int name=\"n\" value=\"1\" />\n\
            <string name=\"a&amp;b\">&quot;x&quot; &lt;&gt; &apos; &#233; &#x41;</string>\n\
            <set name=\"s\"><string>one</string><string>two</string></set>\n\
            <string name=\"empty\" />\n<boolean name=\"b\" value=\"true\" />\n</map>\n";
        assert_eq!(
            values(xml).unwrap(),
            [("a&b".to_string(), "\"x\" <> ' é A".to_string()), ("empty".into(), "".into())]
        );
    }

    #[test]
    fn an_empty_map_has_no_entries() {
        assert!(values("<map />").unwrap().is_empty());
        assert!(values("<map></map>").unwrap().is_empty());
    }

    #[test]
    fn every_cut_of_a_preference_file_is_reported_as_truncated() {
        let xml = "<?xml version='1.0' ?>\n<map>\n<string name=\"k\">v&amp;w</string>\n\
            <int name=\"i\" value=\"3\" />\n</map>";
        for end in 0..xml.len() {
            let err = values(&xml[..end]).unwrap_err();
            assert!(
                matches!(err, ImportError::Truncated { .. } | ImportError::Malformed { .. }),
                "{end}: {err:?}"
            );
        }
        // Cut anywhere after the opening <map>, the file is short, not wrong.
        for end in xml.find("<map>").unwrap() + 5..xml.len() {
            assert_eq!(values(&xml[..end]).unwrap_err(), ImportError::Truncated { format: FORMAT });
        }
    }

    #[test]
    fn markup_the_android_serializer_never_writes_is_refused() {
        for xml in [
            "<map><!-- c --></map>",
            "<map><string name=\"k\"><![CDATA[x]]></string></map>",
            "<map><unknown name=\"k\" /></map>",
            "<map><int name=\"k\" value=\"1\">2</int></map>",
            "<map><string name=\"k\">x</other></map>",
            "<map><string name=\"k\">&bogus;</string></map>",
            "<map><string>no name</string></map>",
            "<map></map><map></map>",
            "text",
        ] {
            assert!(matches!(values(xml), Err(ImportError::Malformed { .. })), "{xml}");
        }
    }
}

//! Just enough HTML reading for the loop check to act like a browser on the portal's
//! server-rendered pages: forms with their inputs (found by `autocomplete`, never by path),
//! images, and the text of elements.
//!
//! Leaves out scripts (their content is skipped), nesting rules, character references beyond
//! the common named ones and numeric ones, and anything a real browser does with CSS.

use std::collections::BTreeMap;

/// One start tag: its name and attributes (names lower-cased, values decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Start(Tag),
    End(String),
    Text(String),
}

/// An `<input>` of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub name: Option<String>,
    /// Lower-cased; `text` when absent.
    pub kind: String,
    pub value: String,
    /// Lower-cased tokens of the `autocomplete` attribute.
    pub autocomplete: Vec<String>,
}

/// A `<form>` and the inputs inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    /// The `action` attribute as written (empty: the page's own URL).
    pub action: String,
    /// Upper-cased; `GET` when absent.
    pub method: String,
    pub inputs: Vec<Input>,
}

impl Form {
    /// The first input whose `autocomplete` lists `token` (e.g. `one-time-code`).
    pub fn input_with_autocomplete(&self, token: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.autocomplete.iter().any(|t| t == token))
    }

    /// Whether a person would type into this form (any input that is not hidden or a button).
    pub fn has_visible_inputs(&self) -> bool {
        self.inputs.iter().any(|i| !matches!(i.kind.as_str(), "hidden" | "submit" | "button"))
    }

    /// The fields a browser submits before the person's own: every named hidden input (the
    /// CSRF field among them) with its value.
    pub fn hidden_fields(&self) -> Vec<(String, String)> {
        self.inputs
            .iter()
            .filter(|i| i.kind == "hidden")
            .filter_map(|i| i.name.clone().map(|n| (n, i.value.clone())))
            .collect()
    }
}

/// A parsed page.
#[derive(Clone, Debug, Default)]
pub struct Document {
    tokens: Vec<Token>,
}

impl Document {
    pub fn parse(html: &str) -> Document {
        Document { tokens: tokenize(html) }
    }

    /// Every form, in document order.
    pub fn forms(&self) -> Vec<Form> {
        let mut forms = Vec::new();
        let mut current: Option<Form> = None;
        for token in &self.tokens {
            match token {
                Token::Start(tag) if tag.name == "form" => {
                    if let Some(done) = current.take() {
                        forms.push(done);
                    }
                    current = Some(Form {
                        action: tag.attr("action").unwrap_or_default().to_string(),
                        method: tag.attr("method").unwrap_or("get").to_ascii_uppercase(),
                        inputs: Vec::new(),
                    });
                }
                Token::Start(tag) if tag.name == "input" => {
                    if let Some(form) = current.as_mut() {
                        form.inputs.push(Input {
                            name: tag.attr("name").map(str::to_string),
                            kind: tag.attr("type").unwrap_or("text").to_ascii_lowercase(),
                            value: tag.attr("value").unwrap_or_default().to_string(),
                            autocomplete: tag
                                .attr("autocomplete")
                                .unwrap_or_default()
                                .split_ascii_whitespace()
                                .map(str::to_ascii_lowercase)
                                .collect(),
                        });
                    }
                }
                Token::End(name) if name == "form" => {
                    if let Some(done) = current.take() {
                        forms.push(done);
                    }
                }
                _ => {}
            }
        }
        forms.extend(current);
        forms
    }

    /// The first form with an input whose `autocomplete` lists `token`.
    pub fn form_with_autocomplete(&self, token: &str) -> Option<Form> {
        self.forms().into_iter().find(|f| f.input_with_autocomplete(token).is_some())
    }

    /// Every start tag called `name`.
    pub fn tags(&self, name: &str) -> Vec<&Tag> {
        self.tokens
            .iter()
            .filter_map(|t| match t {
                Token::Start(tag) if tag.name == name => Some(tag),
                _ => None,
            })
            .collect()
    }

    /// The text inside each element called `name` (nested tags dropped, whitespace runs
    /// collapsed), in document order.
    pub fn texts_of(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut text = String::new();
        for token in &self.tokens {
            match token {
                Token::Start(tag) if tag.name == name => {
                    depth += 1;
                }
                Token::End(end) if end == name && depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        out.push(collapse(&text));
                        text.clear();
                    }
                }
                Token::Text(t) if depth > 0 => text.push_str(t),
                _ => {}
            }
        }
        out
    }

    /// All the page's text, whitespace collapsed.
    pub fn text(&self) -> String {
        let all: String = self
            .tokens
            .iter()
            .filter_map(|t| match t {
                Token::Text(t) => Some(format!("{t} ")),
                _ => None,
            })
            .collect();
        collapse(&all)
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn tokenize(html: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            tokens.push(Token::Text(decode_entities(rest)));
            break;
        };
        if lt > 0 {
            tokens.push(Token::Text(decode_entities(&rest[..lt])));
        }
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map(|i| &after[i + 3..]).unwrap_or("");
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            rest = rest.find('>').map(|i| &rest[i + 1..]).unwrap_or("");
            continue;
        }
        if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').unwrap_or(after.len());
            let name = after[..end].trim().to_ascii_lowercase();
            tokens.push(Token::End(name));
            rest = after.get(end + 1..).unwrap_or("");
            continue;
        }
        let body = &rest[1..];
        let name_len =
            body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(body.len());
        if name_len == 0 || !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            // A lone `<` in text.
            tokens.push(Token::Text("<".into()));
            rest = body;
            continue;
        }
        let name = body[..name_len].to_ascii_lowercase();
        let (attrs, consumed) = read_attrs(&body[name_len..]);
        rest = &body[name_len + consumed..];
        let raw_text = matches!(name.as_str(), "script" | "style");
        tokens.push(Token::Start(Tag { name: name.clone(), attrs }));
        if raw_text {
            let close = format!("</{name}");
            let end = rest.to_ascii_lowercase().find(&close).unwrap_or(rest.len());
            rest = &rest[end..];
        }
    }
    tokens
}

/// Reads attributes up to and including the closing `>`; returns them and the bytes used.
fn read_attrs(s: &str) -> (BTreeMap<String, String>, usize) {
    let mut attrs = BTreeMap::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return (attrs, i);
        }
        if bytes[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        let name = s[start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                let from = i + 1;
                let to = s[from..].find(quote as char).map(|n| from + n).unwrap_or(s.len());
                value = decode_entities(&s[from..to]);
                i = (to + 1).min(s.len());
            } else {
                let from = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                value = decode_entities(&s[from..i]);
            }
        }
        if !name.is_empty() {
            attrs.entry(name).or_insert(value);
        }
    }
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..].find(';').map(|n| n + 1).filter(|&n| n <= 10);
        let decoded = end.and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = r#"<!DOCTYPE html><html><head><script>if (a < b) {}</script></head><body>
        <!-- <form action="/trap"> -->
        <form id="login-form" method="post" action="/login?rd=a&amp;b=1">
          <input type="hidden" name="csrf" value="t&quot;k">
          <input id=username type=text name=username autocomplete="username" required>
          <input type="password" name="password" autocomplete="current-password" required/>
          <button type="submit">Sign in</button>
        </form>
        <form method="post" action="/logout"><input type="hidden" name="csrf" value="x"></form>
        <p>Key: <code id="k" class="key">ABCD EFGH</code> &lt;done&gt; &#233;</p>
        <img src="/activate/qr.png?v=1" alt="QR">
        </body></html>"#;

    #[test]
    fn forms_are_found_by_autocomplete_with_their_hidden_fields_decoded() {
        let doc = Document::parse(LOGIN);
        let forms = doc.forms();
        assert_eq!(forms.len(), 2, "the commented-out form does not count: {forms:?}");
        let login = doc.form_with_autocomplete("current-password").unwrap();
        assert_eq!(login.action, "/login?rd=a&b=1");
        assert_eq!(login.method, "POST");
        assert_eq!(
            login.input_with_autocomplete("username").unwrap().name.as_deref(),
            Some("username")
        );
        assert_eq!(login.hidden_fields(), vec![("csrf".to_string(), "t\"k".to_string())]);
        assert!(login.has_visible_inputs());
        assert!(!forms[1].has_visible_inputs());
        assert!(doc.form_with_autocomplete("one-time-code").is_none());
    }

    #[test]
    fn element_texts_images_and_page_text_are_read() {
        let doc = Document::parse(LOGIN);
        assert_eq!(doc.texts_of("code"), vec!["ABCD EFGH".to_string()]);
        assert_eq!(doc.tags("img")[0].attr("src"), Some("/activate/qr.png?v=1"));
        let text = doc.text();
        assert!(text.contains("<done> é"), "{text}");
        assert!(!text.contains("if (a"), "script content is not text: {text}");
    }

    #[test]
    fn broken_markup_never_panics() {
        for html in
            ["<", "<a", "<a href='x", "</", "&#xFFFFFFFF; &#; &", "<form><input", "<é>", "<!--"]
        {
            let doc = Document::parse(html);
            let _ = (doc.forms(), doc.text(), doc.texts_of("code"));
        }
    }
}

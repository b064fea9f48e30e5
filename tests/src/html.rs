//! A tiny reader for the portal's own HTML: finds start tags by attribute and reads an
//! element's text. Enough for server-rendered forms (csrf fields, ids, classes); it is not an
//! HTML parser and does not understand scripts, comments containing tags, or nesting.

use std::collections::BTreeMap;

/// One start tag: its name and attributes (names lower-cased, values entity-decoded), plus
/// where in the document the tag ends (for reading the text after it).
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    end: usize,
}

impl Tag {
    /// An attribute's value; boolean attributes have an empty value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    /// Whether the space-separated `class` attribute lists `class`.
    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class").is_some_and(|c| c.split_whitespace().any(|x| x == class))
    }
}

/// Every start tag in `html`, in document order.
pub fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off + 1;
        let name_len = html[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(html.len() - start);
        if name_len == 0 || !bytes[start].is_ascii_alphabetic() {
            i = start;
            continue;
        }
        let name = html[start..start + name_len].to_ascii_lowercase();
        let (attrs, end) = read_attrs(html, start + name_len);
        out.push(Tag { name, attrs, end });
        i = end;
    }
    out
}

/// The first tag called `name` (or any, with `"*"`) whose attribute `attr` equals `value`.
pub fn find(html: &str, name: &str, attr: &str, value: &str) -> Option<Tag> {
    tags(html).into_iter().find(|t| (name == "*" || t.name == name) && t.attr(attr) == Some(value))
}

/// The text of the element whose `id` is `id`, with nested tags dropped, entities decoded
/// and whitespace runs collapsed. Reads up to the element's closing tag (no nesting of the
/// same tag name).
pub fn text_by_id(html: &str, id: &str) -> Option<String> {
    find(html, "*", "id", id).map(|t| text_of(html, &t))
}

/// The text of an element found with [`tags`] or [`find`] (see [`text_by_id`]).
pub fn text_of(html: &str, tag: &Tag) -> String {
    let rest = &html[tag.end..];
    let close = format!("</{}", tag.name);
    let inner = &rest[..rest.to_ascii_lowercase().find(&close).unwrap_or(rest.len())];
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    decode_entities(&text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The value of the hidden `csrf` input (the first form's, if there are several).
pub fn csrf(html: &str) -> Option<String> {
    find(html, "input", "name", "csrf").and_then(|t| t.attr("value").map(str::to_string))
}

/// Reads `name="value"`, `name='value'`, `name=value` and bare `name` up to the closing `>`;
/// returns the attributes and the index just after `>`.
fn read_attrs(html: &str, mut i: usize) -> (BTreeMap<String, String>, usize) {
    let b = html.as_bytes();
    let mut attrs = BTreeMap::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (attrs, b.len());
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = html[name_start..i].to_ascii_lowercase();
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let quote = b[i];
                let v_start = i + 1;
                i = v_start;
                while i < b.len() && b[i] != quote {
                    i += 1;
                }
                value = decode_entities(&html[v_start..i.min(b.len())]);
                i += 1;
            } else {
                let v_start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = decode_entities(&html[v_start..i]);
            }
        }
        if !name.is_empty() {
            attrs.insert(name, value);
        }
    }
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html><html><body>
        <form method="post" action="/login"><input type=hidden name='csrf' value="a&amp;b">
        <input name="username" autocomplete="username" required>
        <p class="error big" role="alert">Wrong <b>user</b> or
           password.</p><code id="secret-key">ABCD EFGH</code></form></body></html>"#;

    #[test]
    fn reads_quoted_unquoted_and_boolean_attributes() {
        let input = find(PAGE, "input", "name", "username").unwrap();
        assert_eq!(input.attr("autocomplete"), Some("username"));
        assert_eq!(input.attr("required"), Some(""));
        assert_eq!(find(PAGE, "form", "action", "/login").unwrap().attr("method"), Some("post"));
    }

    #[test]
    fn finds_the_csrf_value_with_entities_decoded() {
        assert_eq!(csrf(PAGE).as_deref(), Some("a&b"));
    }

    #[test]
    fn element_text_drops_nested_tags_and_collapses_whitespace() {
        let p = tags(PAGE).into_iter().find(|t| t.has_class("error")).unwrap();
        assert_eq!(text_of(PAGE, &p), "Wrong user or password.");
        assert_eq!(text_by_id(PAGE, "secret-key").as_deref(), Some("ABCD EFGH"));
    }
}

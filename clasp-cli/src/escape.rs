//! Making peer-derived text safe to print.
//!
//! A certificate subject, a SAN, an ALPN string or a server name comes from the peer, and a
//! hostile peer can put terminal escape sequences in it (`ESC ] 0 ; title BEL` retitles the
//! window, `ESC [ 31 m` colours everything after it, a newline fakes a summary line). Everything
//! the tools print that a peer chose goes through [`printable`] (text), `ladder::json_str`
//! (JSON) or [`html`] (the server's page).

/// `s` with every control character made visible: C0 controls (including newline and tab), DEL
/// and C1 controls become `\xNN`, and the Unicode bidirectional controls, which reorder what a
/// reader sees, become `\u{NNNN}`. Everything else is unchanged.
#[must_use]
pub fn printable(s: &str) -> String {
    if !s.chars().any(needs_escape) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        let n = u32::from(c);
        if is_control(c) {
            out.push_str(&format!("\\x{n:02x}"));
        } else if is_bidi(c) {
            out.push_str(&format!("\\u{{{n:04x}}}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F).
fn is_control(c: char) -> bool {
    c.is_control()
}

/// The bidirectional formatting characters (Unicode UAX #9): ALM, LRM, RLM, the embeddings and
/// overrides, and the isolates.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether [`printable`] changes `c` (JSON escapes the same set).
#[must_use]
pub fn needs_escape(c: char) -> bool {
    is_control(c) || is_bidi(c)
}

/// `s` for HTML element content or a quoted attribute: control characters made visible as in
/// [`printable`] (the page may be fetched with curl into a terminal), then HTML-escaped.
#[must_use]
pub fn html(s: &str) -> String {
    html_escape::encode_quoted_attribute(&printable(s)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible() {
        assert_eq!(
            printable("a\u{1b}]0;pwned\u{7}b\u{1b}[31mred"),
            "a\\x1b]0;pwned\\x07b\\x1b[31mred"
        );
        assert_eq!(printable("x\ny\r\tz"), "x\\x0ay\\x0d\\x09z");
        assert_eq!(printable("\u{7f}\u{9b}\u{85}"), "\\x7f\\x9b\\x85");
        assert_eq!(printable("abc\u{202e}fdp.exe"), "abc\\u{202e}fdp.exe");
        assert_eq!(printable("CN=Zoë, O=Ünïcode"), "CN=Zoë, O=Ünïcode");
    }

    #[test]
    fn html_escapes_markup_and_controls() {
        assert_eq!(
            html("<b a=\"1\">&'\u{1b}"),
            "&lt;b a=&quot;1&quot;&gt;&amp;&#x27;\\x1b"
        );
    }
}

//! A plugin's README, Markdown written by a stranger, made into HTML safe
//! to put in the console's page: raw HTML in the source is shown as text,
//! links keep only `http`, `https` and `mailto` destinations (others become
//! their plain text) and open in a new tab with `rel="noopener noreferrer"`,
//! images become links to their source (the page loads nothing from
//! elsewhere). The console's CSP (`script-src 'self'`) is the second wall.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Longest README rendered; a longer one is cut (plugins cap it earlier).
const MAX_SOURCE_BYTES: usize = 256 * 1024;

/// Renders `markdown` to HTML with nothing active in it.
pub(crate) fn render(markdown: &str) -> String {
    let source = cut(markdown, MAX_SOURCE_BYTES);
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Per open link or image: whether an `<a>` was opened for it.
    let mut open_anchors: Vec<bool> = Vec::new();
    let events = Parser::new_ext(source, options).map(|event| match event {
        // The plugin's own HTML, block or inline, is shown, never parsed.
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
            match safe_url(&dest_url) {
                Some(url) => {
                    open_anchors.push(true);
                    Event::Html(CowStr::from(format!(
                        "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">",
                        escape_attribute(&url)
                    )))
                }
                None => {
                    open_anchors.push(false);
                    Event::Text(CowStr::Borrowed(""))
                }
            }
        }
        Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
            if open_anchors.pop().unwrap_or(false) {
                Event::Html(CowStr::Borrowed("</a>"))
            } else {
                Event::Text(CowStr::Borrowed(""))
            }
        }
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// `url` as a normalised absolute `http`, `https` or `mailto` URL, or
/// `None` (relative, `javascript:`, `data:`, `file:`, unparsable).
fn safe_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https" | "mailto").then(|| parsed.to_string())
}

fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '`' => out.push_str("&#96;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max` bytes on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests;

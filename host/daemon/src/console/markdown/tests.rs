//! The README sanitiser against hostile Markdown: whatever a plugin's
//! author writes, the HTML has no element or attribute that runs script,
//! loads anything, or links anywhere but http, https and mailto.

use super::render;

/// The elements the renderer makes; anything else in the markup is a hole.
const ELEMENTS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "a",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
];

/// Fails if `html` holds anything active: an element the renderer does not
/// make, an attribute but its own (`href`, `rel`, `target`, table
/// alignment, list start, code language), or a link not to http, https or
/// mailto. Text `<` is escaped, so every `<` left starts real markup.
fn assert_inert(html: &str) {
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let tag = &rest[at + 1..];
        let end = tag.find('>').unwrap_or_else(|| panic!("an unclosed tag in: {html}"));
        let (tag, after) = (&tag[..end], &tag[end + 1..]);
        rest = after;
        let tag = tag.trim_start_matches('/').trim_end_matches('/');
        let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
        let (name, mut attributes) = (&tag[..name_end], tag[name_end..].trim());
        assert!(ELEMENTS.contains(&name), "element `{name}` in: {html}");
        while !attributes.is_empty() {
            let (attribute, value, remaining) = match attributes.find('=') {
                Some(eq) if attributes[eq + 1..].starts_with('"') => {
                    let value_end = attributes[eq + 2..].find('"').expect("a closed attribute value") + eq + 2;
                    (
                        &attributes[..eq],
                        &attributes[eq + 2..value_end],
                        &attributes[value_end + 1..],
                    )
                }
                _ => panic!("an attribute without a quoted value in `{tag}` of: {html}"),
            };
            attributes = remaining.trim_start();
            match (name, attribute.trim()) {
                ("a", "href") => assert!(
                    ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|scheme| value.starts_with(scheme)),
                    "link to `{value}` in: {html}"
                ),
                ("a", "rel") => assert_eq!(value, "noopener noreferrer"),
                ("a", "target") => assert_eq!(value, "_blank"),
                ("th" | "td", "style") => assert!(value.starts_with("text-align: "), "{value}"),
                ("ol", "start") => assert!(value.chars().all(|c| c.is_ascii_digit()), "{value}"),
                ("code", "class") => assert!(value.starts_with("language-") && !value.contains(['<', '>', '"'])),
                (_, other) => panic!("attribute `{other}` on `{name}` in: {html}"),
            }
        }
    }
}

#[test]
fn plain_markdown_renders() {
    let html =
        render("# Twilio\n\nSend with **Twilio**.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```json\n{\"a\": 1}\n```\n");
    assert!(html.contains("<h1>Twilio</h1>"), "{html}");
    assert!(html.contains("<strong>Twilio</strong>"), "{html}");
    assert!(html.contains("<table>"), "{html}");
    assert!(html.contains("<code class=\"language-json\">"), "{html}");
    assert_inert(&html);
}

#[test]
fn script_tags_are_text() {
    let html = render("hello <script>alert(1)</script>\n\n<script>\nalert(2)\n</script>\n");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(html.contains("alert(2)"), "the block is shown as text: {html}");
    assert_inert(&html);
}

#[test]
fn img_onerror_is_text() {
    for source in [
        "<img src=x onerror=alert(1)>",
        "inline <img src=x onerror=\"alert(1)\"> here",
        "<IMG SRC=x ONERROR=alert(1)>",
        "<svg onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">click</a>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
    ] {
        let html = render(source);
        assert!(html.contains("&lt;"), "raw HTML must be escaped: {source} → {html}");
        assert_inert(&html);
    }
}

#[test]
fn script_urls_never_become_links() {
    for source in [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click]( javascript:alert(1))",
        "[click](<javascript:alert(1)>)",
        "[click](java\tscript:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](javascript&#58;alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](file:///etc/passwd)",
        "<javascript:alert(1)>",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
    ] {
        let html = render(source);
        assert!(!html.contains("<a"), "{source} became a link: {html}");
        assert!(
            html.contains("click") || html.contains("javascript"),
            "the text stays: {html}"
        );
        assert_inert(&html);
    }
}

#[test]
fn data_urls_are_dropped() {
    for source in [
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "[x](data:text/html,<script>alert(1)</script>)",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
    ] {
        let html = render(source);
        assert!(!html.contains("<a"), "{source}: {html}");
        assert_inert(&html);
    }
}

#[test]
fn good_links_open_safely() {
    let html = render(
        "See [Twilio](https://www.twilio.com/docs), [mail](mailto:ops@example.com) and <https://example.com/a?b=1&c=\"2\">.",
    );
    assert!(
        html.contains(
            "<a href=\"https://www.twilio.com/docs\" rel=\"noopener noreferrer\" target=\"_blank\">Twilio</a>"
        ),
        "{html}"
    );
    assert!(html.contains("href=\"mailto:ops@example.com\""), "{html}");
    assert_eq!(
        html.matches("<a ").count(),
        html.matches("rel=\"noopener noreferrer\" target=\"_blank\"").count()
    );
    assert!(
        html.contains("href=\"https://example.com/a?b=1&amp;c=%222%22\""),
        "quotes in a URL cannot end the attribute: {html}"
    );
    assert_inert(&html);
}

#[test]
fn images_become_links_to_their_source() {
    let html = render("![the logo](https://example.com/logo.png \"title\")");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains(
            "<a href=\"https://example.com/logo.png\" rel=\"noopener noreferrer\" target=\"_blank\">the logo</a>"
        ),
        "{html}"
    );
    assert_inert(&html);
}

#[test]
fn relative_links_are_text() {
    let html = render("[the README](../../README.md) and [top](#top)");
    assert!(!html.contains("<a"), "{html}");
    assert!(html.contains("the README") && html.contains("top"), "{html}");
}

#[test]
fn nested_html_in_markdown_stays_text() {
    for source in [
        "**bold <script>alert(1)</script>**",
        "[<img src=x onerror=alert(1)>](https://example.com)",
        "> quote <iframe src=x></iframe>\n> more",
        "- item <b onclick=alert(1)>x</b>\n  - <style>body{display:none}</style>",
        "| h |\n|---|\n| <script>alert(1)</script> |",
        "`<script>` in code is fine\n\n    <script>alert(1)</script>",
        "[a](https://example.com \"t\\\" onmouseover=\\\"alert(1)\")",
        "<details open ontoggle=alert(1)>x</details>",
        "<!-- <script>alert(1)</script> -->",
        "<![CDATA[<script>alert(1)</script>]]>",
    ] {
        let html = render(source);
        assert_inert(&html);
    }
    let html = render("[<img src=x onerror=alert(1)>](https://example.com)");
    assert!(
        html.contains("<a href=\"https://example.com/\""),
        "the link stays: {html}"
    );
    assert!(html.contains("&lt;img"), "its HTML is text: {html}");
}

#[test]
fn unbalanced_and_huge_input_is_bounded() {
    let html = render(&"[a](javascript:x) ![b](https://e.com/x.png) ".repeat(5000));
    assert_eq!(html.matches("<a ").count(), html.matches("</a>").count());
    assert_inert(&html);
    let huge = "x".repeat(2 << 20);
    assert!(render(&huge).len() < 300 * 1024);
    let multibyte = "é".repeat(200 * 1024);
    assert!(!render(&multibyte).is_empty());
}

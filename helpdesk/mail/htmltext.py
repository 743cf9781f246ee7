"""HTML-only email bodies become plain text: cleaned with an allow-list first, so whatever a
sender hid in scripts, styles or event handlers never reaches the text we keep."""

import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
# Dropped with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = {"script", "style", "title", "head", "template", "noscript", "object"}
LINK_SCHEMES = {"http", "https", "mailto"}

BLOCKS = {
    "blockquote", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ol", "p", "pre", "table",
    "tr", "ul",
}  # fmt: skip


def sanitise(html):
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes={"a": {"href"}},
        url_schemes=LINK_SCHEMES,
        link_rel=None,
    )


class _TextWriter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.href = None
        self.link_text = []
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        if tag in BLOCKS or tag in ("br", "hr"):
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")
        elif tag == "hr":
            self.out.append("---\n")
        elif tag == "pre":
            self.pre += 1
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_endtag(self, tag):
        if tag in BLOCKS and tag != "li":  # the next item starts its own line
            self.out.append("\n")
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        elif tag == "a" and self.href:
            shown = "".join(self.link_text).strip()
            target = self.href.removeprefix("mailto:")
            if target and target != shown:
                self.out.append(f" ({target})")
            self.href = None

    def handle_data(self, data):
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        if self.href is not None:
            self.link_text.append(data)
        self.out.append(data)


def to_text(html):
    """Sanitised HTML as readable text: blocks on their own lines, links with their targets."""
    writer = _TextWriter()
    writer.feed(sanitise(html))
    writer.close()
    lines = [line.strip() for line in "".join(writer.out).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

"""Untrusted vendor text (often HTML) as short plain text: what the parsers keep and what people read.

Status pages write incident titles and bodies in HTML. ottwatch stores, publishes and serves them as text
only: tags and scripts dropped, entities decoded, whitespace collapsed, length capped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ottwatch.sources.errors import ParseError

TEXT_LIMIT = 300

# Raw-text or invisible elements whose content is never shown as page text.
_SKIPPED = frozenset({"script", "style", "noscript", "template"})
# What may sit in <head>; any other element starts the body, as browsers read it (a missing <body> tag).
_HEAD_ONLY = frozenset({"head", "title", "meta", "link", "base", "style", "script", "noscript", "template"})
# Inline elements: no word break at their edges ("Net<b>flix</b>" reads "Netflix").
_INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd", "mark", "q",
    "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
})
SPACE = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIPPED:
            self.skip_depth += 1
        elif tag == "head":
            self.in_head = True
        elif tag not in _HEAD_ONLY:
            self.in_head = False
        if tag not in _INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and self.skip_depth:
            self.skip_depth -= 1
        elif tag == "head":
            self.in_head = False
        if tag not in _INLINE:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth and not self.in_head:
            self.parts.append(data)


def visible_text(markup: str) -> str:
    """The text a browser would show, whitespace collapsed. Raises ParseError on markup the stdlib rejects."""
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.close()
    except Exception as exc:  # noqa: BLE001 - html.parser raises AssertionError on some marked sections
        raise ParseError(f"unparseable HTML: {type(exc).__name__}") from None
    return SPACE.sub(" ", "".join(extractor.parts)).strip()


def plain_text(value: object, limit: int = TEXT_LIMIT) -> str:
    """Untrusted vendor text (maybe HTML) as short plain text: tags dropped, entities decoded, truncated."""
    if value is None:
        return ""
    text = str(value)
    if "<" in text or "&" in text:
        try:
            text = visible_text(text)
        except ParseError:
            text = re.sub(r"<[^>]*>?", " ", text)  # what the stdlib parser refused: drop anything tag-like
    text = SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

"""A status page with no API (Netflix's "Is Netflix down?" help page, say): phrases in its visible text decide.

The page's visible text (tags, scripts, styles and the <head> dropped by the standard library's
`html.parser`, whitespace collapsed, compared case-insensitively and on word boundaries) is searched for
the configured phrases: any down phrase -> MAJOR_OUTAGE (a help page only says "down" when it is);
else any ok phrase -> OPERATIONAL; else a ParseError, so that a redesign of the page makes the source
stale instead of silently operational.

"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints, model_validator

from ottwatch.domain.models import Observation
from ottwatch.domain.status import State
from ottwatch.sources.base import ParseError, UrlSource
from ottwatch.sources.text import SPACE, plain_text, visible_text

Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class HtmlSource(UrlSource):
    """`url`: the page. `down_phrases` (at least one) mean the service is down; `ok_phrases` that it is up.
    A page showing neither is an error (the page may have changed), never operational."""

    kind: Literal["html"]
    down_phrases: list[Phrase] = []
    ok_phrases: list[Phrase] = []

    @model_validator(mode="after")
    def _ok_phrases_cannot_hide_down_phrases(self) -> HtmlSource:
        if not self.down_phrases and not self.ok_phrases:
            raise ValueError("give down_phrases, ok_phrases or both: with neither the page can say nothing")
        # Down phrases are checked first: an ok phrase that contains one ("not down" / "down") could never match.
        for ok in self.ok_phrases:
            for down in self.down_phrases:
                if _pattern(down).search(_normalise(ok)):
                    raise ValueError(f"ok phrase {ok!r} contains the down phrase {down!r}")
        return self


def _normalise(text: str) -> str:
    return SPACE.sub(" ", text).strip().lower()


def _pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(_normalise(phrase)) + r"(?!\w)")


def parse(payload: bytes | str, observed_at: datetime, spec: HtmlSource | None = None) -> list[Observation]:
    """Look for the configured phrases in the page's visible text. Raises ParseError, nothing else."""
    if spec is None:
        raise ParseError("the html kind needs its down_phrases: no source spec given")
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParseError("page is not UTF-8 text") from None
    text = visible_text(payload)
    lowered = text.lower()
    for phrase in spec.down_phrases:
        match = _pattern(phrase).search(lowered)
        if match:
            source = text if len(text) == len(lowered) else lowered
            start, end = max(0, match.start() - 100), min(len(source), match.end() + 100)
            snippet = ("…" if start else "") + source[start:end].strip() + ("…" if end < len(source) else "")
            return [
                Observation(
                    state=State.MAJOR_OUTAGE,
                    raw_status=plain_text(f"down phrase: {phrase}"),
                    description=plain_text(f'the page says "{phrase}": {snippet}'),
                    observed_at=observed_at,
                )
            ]
    for phrase in spec.ok_phrases:
        if _pattern(phrase).search(lowered):
            return [
                Observation(
                    state=State.OPERATIONAL,
                    raw_status=plain_text(f"ok phrase: {phrase}"),
                    description=None,
                    observed_at=observed_at,
                )
            ]
    raise ParseError("none of the expected phrases found: the page may have changed")

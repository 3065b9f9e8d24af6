"""What every source kind shares: its catalog entry model, and the ParseError it may raise.

Each kind's module defines a spec model (a catalog `sources:` entry, validated on load) and either
`parse(payload: bytes, observed_at: datetime, spec) -> list[Observation]` (fetched kinds: the collector
GETs `spec.url` and hands over the body) or `probe(spec, observed_at, ctx) -> list[Observation]` (probe
kinds: they reach the service themselves). Either returns one observation per source (the parser
aggregates components, incidents, products), in a list. `sources/registry.py` lists them all.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ottwatch.sources.errors import ParseError

__all__ = ["ParseError", "SourceBase", "UrlSource", "SOURCE_ID_PATTERN"]

SOURCE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    # Unique within the service; defaults to the kind (kind-N when a kind repeats).
    id: Annotated[str, Field(pattern=SOURCE_ID_PATTERN)] | None = None

    @property
    def target(self) -> str:
        """What this source reads, for logs and evidence (a URL, a host, host:port)."""
        raise NotImplementedError


class UrlSource(SourceBase):
    url: str

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        return url

    @property
    def target(self) -> str:
        return self.url

"""Catalog kind -> parser. Each parser is `parse(payload: bytes, observed_at) -> list[Observation]`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ottwatch.domain.models import Observation
from ottwatch.sources import statuspage

Parser = Callable[[bytes, datetime], list[Observation]]

PARSERS: dict[str, Parser] = {
    "statuspage": statuspage.parse,
    # incident.io pages serve a Statuspage-compatible subset at the same path.
    "incidentio": statuspage.parse,
}

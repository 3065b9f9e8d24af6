"""Problem reports from the public (the banner's "report a problem" button). Pure: no I/O, no clock.

Who reported is never stored as such: a reporter is a keyed hash of the IP prefix (/24 for IPv4, /48 for
IPv6) and the user agent, and a network a keyed hash of the prefix alone. The key rotates every day (an
HMAC of the deployment's secret salt and the date), so hashes cannot be joined across days either.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Reports count per 15-minute window, the bucket Downdetector's own API serves.
BUCKET = timedelta(minutes=15)
COUNTRY_PATTERN = r"^[A-Z]{2}$"
HASH_CHARS = 16  # 64 bits: collisions stay negligible at millions of reporters per day


class Problem(StrEnum):
    NO_CONNECTION = "no_connection"
    MESSAGES_NOT_SENDING = "messages_not_sending"
    LOGIN = "login"
    APP_CRASH = "app_crash"
    OTHER = "other"


class ReportIn(BaseModel):
    """The body of POST /v1/reports. Nothing else is accepted (no free text: nothing to moderate)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="catalog id")]
    country: Annotated[str | None, StringConstraints(pattern=COUNTRY_PATTERN)] = Field(
        None, description="ISO 3166 alpha-2; default: the viewer's country, else the operator's market")
    problem: Problem


class QueuedReport(BaseModel):
    """What the API puts on the reports queue: no IP, no user agent, only keyed hashes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str
    country: str
    problem: Problem
    reporter: str
    network: str
    at: datetime


def bucket_start(at: datetime) -> datetime:
    """The start of the 15-minute window holding `at`."""
    seconds = int(BUCKET.total_seconds())
    return datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, at.tzinfo)


def network_prefix(source_ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) a client address belongs to: one household or office, roughly."""
    try:
        ip = ipaddress.ip_address(source_ip.split("%", 1)[0])
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def daily_key(salt: bytes, day: datetime) -> bytes:
    return hmac.new(salt, day.strftime("%Y-%m-%d").encode(), hashlib.sha256).digest()


def identify(salt: bytes, at: datetime, source_ip: str, user_agent: str) -> tuple[str, str]:
    """(reporter, network) hashes for a request: the raw address goes no further than this function."""
    key = daily_key(salt, at)
    prefix = network_prefix(source_ip)
    reporter = hmac.new(key, f"{prefix}|{user_agent[:512]}".encode(), hashlib.sha256).hexdigest()[:HASH_CHARS]
    network = hmac.new(key, prefix.encode(), hashlib.sha256).hexdigest()[:HASH_CHARS]
    return reporter, network


# -- counting ---------------------------------------------------------------------------------------
# A bucket's counters are split over this many items by network, so no single DynamoDB item grows past
# a few tens of KB even at WhatsApp-outage volume (~30,000 reporters in one window in one country).
SHARDS = 16
# Distinct reporters one network may contribute to a window's count: a household or an office has a few
# devices; a script rotating user agents behind one address does not get to fake an outage.
NETWORK_CAP = 3
# Distinct services one reporter may report within one batch of the queue: a person reports what is
# broken for them, not the whole catalog.
REPORTER_SERVICES_CAP = 5


class ReportGroup(BaseModel):
    """Everything one batch adds to one counter item: (service, country, window, shard)."""

    model_config = ConfigDict(frozen=True)

    service: str
    country: str
    bucket: datetime
    shard: int
    raw: int
    problems: dict[str, int]
    networks: dict[str, frozenset[str]]  # network hash -> reporter hashes


def shard_of(network: str) -> int:
    return int(network[:4], 16) % SHARDS if network[:4].isalnum() else 0


def aggregate(reports: list[QueuedReport]) -> list[ReportGroup]:
    """Fold a batch of reports into one group per counter item (what makes writes per report << 1)."""
    services_per_reporter: dict[str, set[str]] = {}
    groups: dict[tuple, dict] = {}
    for report in reports:
        seen = services_per_reporter.setdefault(report.reporter, set())
        if report.service not in seen and len(seen) >= REPORTER_SERVICES_CAP:
            continue
        seen.add(report.service)
        key = (report.service, report.country, bucket_start(report.at), shard_of(report.network))
        group = groups.setdefault(key, {"raw": 0, "problems": {}, "networks": {}})
        group["raw"] += 1
        group["problems"][report.problem.value] = group["problems"].get(report.problem.value, 0) + 1
        group["networks"].setdefault(report.network, set()).add(report.reporter)
    return [
        ReportGroup(service=s, country=c, bucket=b, shard=sh, raw=g["raw"], problems=g["problems"],
                    networks={n: frozenset(r) for n, r in g["networks"].items()})
        for (s, c, b, sh), g in groups.items()
    ]


class WindowCount(BaseModel):
    """One window's reports for one (service, country), as the detector sees them."""

    model_config = ConfigDict(frozen=True)

    bucket: datetime
    reporters: int  # distinct reporters, each network capped at NETWORK_CAP
    raw: int  # every accepted request, duplicates included
    problems: dict[str, int] = {}

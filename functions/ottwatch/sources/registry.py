"""Every source kind the catalog may name: its entry model, its signal class, and how it is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ottwatch.domain.models import Observation, SignalClass
from ottwatch.sources import (
    apple,
    aws,
    feed,
    google,
    heroku,
    html,
    instatus,
    meta,
    probes,
    slack,
    statusio,
    statuspage,
)
from ottwatch.sources.base import SourceBase

Parser = Callable[[bytes, datetime, SourceBase], list[Observation]]


@dataclass(frozen=True)
class ProbeContext:
    """What a probe may use: the shared fetcher (HTTP probes) and the address policy."""

    fetcher: object
    allow_private: bool


Probe = Callable[[SourceBase, datetime, ProbeContext], list[Observation]]


@dataclass(frozen=True)
class SourceKind:
    name: str
    spec: type[SourceBase]
    signal_class: SignalClass = SignalClass.OFFICIAL
    parse: Parser | None = None  # fetched kinds: the collector GETs spec.url and parses the body
    probe: Probe | None = None  # probe kinds: they reach the service themselves
    # False for a vendor page written for people (html): official words, but not a status API.
    machine_readable: bool = True

    def __post_init__(self) -> None:
        if (self.parse is None) == (self.probe is None):
            raise ValueError(f"source kind {self.name!r} needs exactly one of parse / probe")


KINDS: dict[str, SourceKind] = {
    kind.name: kind
    for kind in (
        SourceKind("statuspage", statuspage.StatuspageSource, parse=statuspage.parse),
        SourceKind("incidentio", statuspage.StatuspageSource, parse=statuspage.parse),
        SourceKind("instatus", instatus.InstatusSource, parse=instatus.parse),
        SourceKind("statusio", statusio.StatusioSource, parse=statusio.parse),
        SourceKind("slack", slack.SlackSource, parse=slack.parse),
        SourceKind("heroku", heroku.HerokuSource, parse=heroku.parse),
        SourceKind("google", google.GoogleSource, parse=google.parse),
        SourceKind("apple", apple.AppleSource, parse=apple.parse),
        SourceKind("aws", aws.AwsSource, parse=aws.parse),
        SourceKind("aws_rss", aws.AwsRssSource, parse=aws.parse_rss),
        SourceKind("meta", meta.MetaSource, parse=meta.parse),
        SourceKind("feed", feed.FeedSource, parse=feed.parse),
        SourceKind("html", html.HtmlSource, parse=html.parse, machine_readable=False),
        SourceKind("http_probe", probes.HttpProbeSource, SignalClass.PROBE, probe=probes.http_probe),
        SourceKind("dns_probe", probes.DnsProbeSource, SignalClass.PROBE, probe=probes.dns_probe),
        SourceKind("tcp_probe", probes.TcpProbeSource, SignalClass.PROBE, probe=probes.tcp_probe),
    )
}


def spec_models() -> tuple[type[SourceBase], ...]:
    """The distinct entry models, for the catalog's discriminated union on `kind`."""
    return tuple(dict.fromkeys(kind.spec for kind in KINDS.values()))

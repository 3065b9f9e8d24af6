"""Parsers B: Apple, AWS (current events, legacy data.json, RSS), Meta, RSS/Atom incident feeds, HTML pages.

Real payloads come from tests/fixtures/status_pages/{apple,aws,atom_rss}/ (see PROVENANCE-parsers-b.md).
Everything else here is SYNTHETIC and says so: built in this file, shaped after the evidence cited next to
it, never stored as a fixture.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ottwatch.domain.models import Observation
from ottwatch.domain.status import State
from ottwatch.sources import apple, aws, feed, html, meta
from ottwatch.sources.errors import ParseError
from pydantic import ValidationError

from tests.conftest import STATUS_PAGES

APPLE_DIR = STATUS_PAGES / "apple"
AWS_DIR = STATUS_PAGES / "aws"
FEED_DIR = STATUS_PAGES / "atom_rss"
APPLE_DEV = APPLE_DIR / "apple_developer_system_status_2020-02_testflight-resolved-issue.json"
AWS_DATA = AWS_DIR / "aws_service-health-dashboard_data_2022-07-03_archive86_current-empty.json"
AWS_RSS = AWS_DIR / "aws_shd_rss_ec2-ap-northeast-1_2019-09-07_tokyo-overheating-outage.rss"
GITHUB_ATOM = FEED_DIR / "github_history.atom"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# What a person reading each real page would say, and when the page says it was updated.
REAL = {
    APPLE_DEV: (apple.parse, State.OPERATIONAL, "all available", utc(2020, 2, 15, 9, 0)),  # datePosted 01:00 PST
    AWS_DATA: (aws.parse, State.OPERATIONAL, "no current events", None),  # data.json has no update time
    AWS_RSS: (aws.parse_rss, State.OPERATIONAL, "Service is operating normally", utc(2019, 9, 7, 7, 3, 14)),
    GITHUB_ATOM: (feed.parse, State.OPERATIONAL, "no open entries in the last 180 min", utc(2026, 8, 22, 3, 43, 56)),
}


def test_every_fixture_in_these_dirs_is_covered():
    on_disk = {p for d in (APPLE_DIR, AWS_DIR, FEED_DIR) for p in d.rglob("*") if p.is_file()}
    assert on_disk == set(REAL)


@pytest.mark.parametrize("path", sorted(REAL), ids=lambda p: p.name)
def test_real_fixture_parses_to_the_expected_state(path, now):
    parse, state, raw_status, reported_at = REAL[path]
    [obs] = parse(path.read_bytes(), now)
    assert obs.state is state
    assert obs.raw_status == raw_status
    assert obs.observed_at == now
    assert obs.reported_at == reported_at
    if reported_at is not None:
        assert obs.reported_at.utcoffset().total_seconds() == 0
    assert obs.incidents == ()
    assert (obs.service, obs.source, obs.error) == ("", "", None)


# ---------------------------------------------------------------------------------------------- Apple

APPLE_URL = "https://www.apple.com/support/systemstatus/data/developer/system_status_en_US.js"


def apple_spec(**fields) -> apple.AppleSource:
    return apple.AppleSource(kind="apple", url=APPLE_URL, **fields)


def apple_with_testflight(**changes) -> bytes:
    """The real developer payload with its one (resolved) TestFlight event edited in memory."""
    doc = json.loads(APPLE_DEV.read_bytes())
    [testflight] = [s for s in doc["services"] if s["serviceName"] == "TestFlight"]
    testflight["events"][0].update(changes)
    return json.dumps(doc).encode()


def test_apple_resolved_issue_keeps_every_service_available(now):
    [obs] = apple.parse(APPLE_DEV.read_bytes(), now)
    assert len(obs.components) == 27
    assert {c.state for c in obs.components} == {State.OPERATIONAL}
    assert {c.raw_status for c in obs.components} == {"available"}
    assert obs.description is None


@pytest.mark.parametrize(
    "wrap",
    [
        lambda body: b"jsonCallback(" + body + b");",  # what the live file serves
        lambda body: b"callbackName(" + body + b")\n",  # no semicolon
        lambda body: b"  jsonCallback (\n" + body + b"\n) ; ",
    ],
    ids=["jsonCallback", "no-semicolon", "spaces"],
)
def test_apple_jsonp_wrapper_is_stripped(wrap, now):
    raw = APPLE_DEV.read_bytes()
    assert apple.parse(wrap(raw), now) == apple.parse(raw, now)


def test_apple_ongoing_issue_affects_only_its_service(now):
    [obs] = apple.parse(apple_with_testflight(eventStatus="ongoing"), now)
    assert obs.state is State.PARTIAL_OUTAGE
    assert obs.raw_status == "TestFlight: ongoing Issue"
    down = {c.name: c for c in obs.components if c.state is not State.OPERATIONAL}
    assert list(down) == ["TestFlight"]
    assert down["TestFlight"].raw_status == "ongoing Issue"
    [incident] = obs.incidents
    assert incident.name == "TestFlight: Users experienced a problem with this service."
    assert (incident.status, incident.impact) == ("ongoing", "Issue")
    assert incident.started_at == utc(2020, 2, 10, 19, 45)  # epochStartDate 1581363900000 = 11:45 PST
    assert incident.scheduled_until is None
    assert obs.description == incident.name


@pytest.mark.parametrize(
    "status_type, state",
    [
        ("Outage", State.MAJOR_OUTAGE),
        ("Issue", State.PARTIAL_OUTAGE),
        ("Performance", State.DEGRADED_PERFORMANCE),
        ("Maintenance", State.UNDER_MAINTENANCE),
        ("Available", State.OPERATIONAL),
        (None, State.DEGRADED_PERFORMANCE),  # ongoing, severity unstated
        ("Cosmic rays", State.DEGRADED_PERFORMANCE),
    ],
)
def test_apple_ongoing_status_types(status_type, state, now):
    [obs] = apple.parse(apple_with_testflight(eventStatus="ongoing", statusType=status_type), now)
    assert obs.state is state
    assert len(obs.incidents) == 1


@pytest.mark.parametrize("event_status", ["resolved", "completed", "Resolved", "archived"])
def test_apple_closed_events_never_count(event_status, now):
    [obs] = apple.parse(apple_with_testflight(eventStatus=event_status, statusType="Outage"), now)
    assert obs.state is State.OPERATIONAL
    assert obs.incidents == ()


def test_apple_upcoming_maintenance_is_listed_but_changes_nothing(now):
    [obs] = apple.parse(apple_with_testflight(eventStatus="upcoming", statusType="Maintenance"), now)
    assert obs.state is State.OPERATIONAL
    [incident] = obs.incidents
    assert incident.status == "upcoming"
    assert incident.started_at == utc(2020, 2, 10, 19, 45)
    assert incident.scheduled_until == utc(2020, 2, 12, 11, 0)  # epochEndDate 1581505200000
    assert obs.description is None


def test_apple_dates_fall_back_to_the_text_when_epochs_are_missing(now):
    payload = apple_with_testflight(eventStatus="ongoing", epochStartDate=None, startDate="08/01/2020 09:30 PDT")
    [obs] = apple.parse(payload, now)
    assert obs.incidents[0].started_at == utc(2020, 8, 1, 16, 30)


def test_apple_services_filter_is_case_insensitive(now):
    [obs] = apple.parse(apple_with_testflight(eventStatus="ongoing"), now, apple_spec(services=["testflight", "APNS"]))
    assert [c.name for c in obs.components] == ["APNS", "TestFlight"]
    [obs] = apple.parse(apple_with_testflight(eventStatus="ongoing"), now, apple_spec(services=["APNS"]))
    assert obs.state is State.OPERATIONAL
    assert obs.incidents == ()


def test_apple_service_missing_from_the_page_is_an_error(now):
    with pytest.raises(ParseError, match="not on the page: icloud mail"):
        apple.parse(APPLE_DEV.read_bytes(), now, apple_spec(services=["TestFlight", "iCloud Mail"]))


def test_apple_spec_validation():
    assert apple_spec().services == []
    with pytest.raises(ValidationError):
        apple_spec(services=[" "])
    with pytest.raises(ValidationError):
        apple_spec(regions=["x"])  # extra fields are forbidden


# ------------------------------------------------------------------------------------------------ AWS

AWS_URL = "https://health.aws.amazon.com/public/currentevents"

# SYNTHETIC current events. The keys are those public clients of the endpoint decode: `arn`, `date` (epoch
# seconds as a string), `region_name`, `service`, `service_name`, `status`, `summary`,
# `event_log[{summary, message, status, timestamp}]`, `impacted_services{key: {service_name, current, max}}`
# (a Go adapter's `awsEvent` struct; a Firewatch check script reads the same `region_name`, `summary`,
# `event_log[].message/status/timestamp`); the `service` keys follow the real data.json (`ec2-us-east-2`).
AWS_SYNTHETIC_EVENTS = [
    {
        "arn": "arn:aws:health:eu-south-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_SYNTH1",
        "date": "1764400000",
        "region_name": "eu-south-1",
        "service": "ec2-eu-south-1",
        "service_name": "Amazon Elastic Compute Cloud (Milan)",
        "status": "2",
        "summary": "Increased API Error Rates",
        "event_log": [
            {"summary": "Increased API Error Rates", "message": "<div>We are <b>investigating</b>.</div>",
             "status": 2, "timestamp": 1764400600},
        ],
        "impacted_services": {"ebs": {"service_name": "Amazon Elastic Block Store", "current": "1", "max": "2"}},
    },
    {
        "arn": "arn:aws:health:us-east-1::event/LAMBDA/AWS_LAMBDA_OPERATIONAL_ISSUE/SYNTH2",
        "date": "1764390000",
        "region_name": "us-east-1",
        "service": "lambda-us-east-1",
        "service_name": "AWS Lambda (N. Virginia)",
        "status": "3",
        "summary": "Invoke failures",
        "event_log": [],
    },
    {  # a global service: no region anywhere
        "date": "1764380000",
        "service": "iam",
        "service_name": "AWS Identity and Access Management",
        "status": "1",
        "summary": "Propagation delays",
    },
    {  # over: status 0
        "date": "1764370000",
        "service": "s3-eu-south-1",
        "service_name": "Amazon S3 (Milan)",
        "status": "0",
        "summary": "Elevated latency",
    },
]


def aws_spec(**fields) -> aws.AwsSource:
    return aws.AwsSource(kind="aws", url=AWS_URL, **fields)


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-16"),  # BOM + native order, as the endpoint serves it
        lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
        lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
        lambda text: text.encode("utf-8"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: text,
    ],
    ids=["utf16", "utf16-be", "utf16-le", "utf8", "utf8-bom", "str"],
)
def test_aws_synthetic_current_events_in_any_encoding(encode, now):
    [obs] = aws.parse(encode(json.dumps(AWS_SYNTHETIC_EVENTS)), now)
    assert obs.state is State.MAJOR_OUTAGE
    assert [i.name for i in obs.incidents] == [
        "AWS Lambda (N. Virginia): Invoke failures",
        "Amazon Elastic Compute Cloud (Milan): Increased API Error Rates",
        "AWS Identity and Access Management: Propagation delays",
    ]
    assert [i.status for i in obs.incidents] == ["service disruption", "service degradation", "informational message"]
    assert obs.incidents[0].started_at == utc(2025, 11, 29, 4, 20)
    assert obs.reported_at == utc(2025, 11, 29, 7, 16, 40)  # the latest event_log timestamp
    groups = {(c.name, c.group): c.state for c in obs.components}
    assert groups[("Amazon Elastic Block Store", "eu-south-1")] is State.DEGRADED_PERFORMANCE
    assert groups[("AWS Identity and Access Management", "global")] is State.DEGRADED_PERFORMANCE


def test_aws_healthy_endpoint_serves_an_empty_utf16_array(now):
    [obs] = aws.parse("[]".encode("utf-16"), now)
    assert (obs.state, obs.raw_status, obs.incidents) == (State.OPERATIONAL, "no current events", ())


@pytest.mark.parametrize(
    "regions, include_global, state",
    [
        (["eu-south-1"], True, State.PARTIAL_OUTAGE),
        (["eu-south-1"], False, State.PARTIAL_OUTAGE),
        (["ap-south-1"], True, State.DEGRADED_PERFORMANCE),  # only the global IAM event
        (["ap-south-1"], False, State.OPERATIONAL),
        (["us-east-1", "eu-south-1"], False, State.MAJOR_OUTAGE),
        ([], False, State.MAJOR_OUTAGE),  # no region filter: everything
    ],
)
def test_aws_region_filter(regions, include_global, state, now):
    spec = aws_spec(regions=regions, include_global=include_global)
    [obs] = aws.parse(json.dumps(AWS_SYNTHETIC_EVENTS).encode("utf-16"), now, spec)
    assert obs.state is state


def test_aws_events_outside_the_watched_regions_are_reported_as_such(now):
    [obs] = aws.parse(json.dumps(AWS_SYNTHETIC_EVENTS), now, aws_spec(regions=["ap-south-1"], include_global=False))
    assert obs.raw_status == "no current events in the watched regions (3 elsewhere)"


def legacy_with_current(summary_edit=lambda s: s) -> bytes:
    """The real data.json with its status-3 ACM archive event moved into `current` (edited in memory)."""
    doc = json.loads(AWS_DATA.read_bytes())
    [event] = [e for e in doc["archive"] if e["service"] == "certificatemanager-us-east-1"]
    doc["current"] = [dict(event, summary=summary_edit(event["summary"]))]
    return json.dumps(doc).encode()


def test_aws_legacy_resolved_event_in_current_does_not_count(now):
    [obs] = aws.parse(legacy_with_current(), now)
    assert obs.state is State.OPERATIONAL


def test_aws_legacy_open_event_in_current(now):
    payload = legacy_with_current(lambda s: s.removeprefix("[RESOLVED] "))
    [obs] = aws.parse(payload, now)
    assert obs.state is State.MAJOR_OUTAGE
    [incident] = obs.incidents
    assert incident.name == "AWS Certificate Manager (N. Virginia): Increased API Error Rates and Latency"
    assert incident.started_at == utc(2021, 6, 29, 19, 12, 49)
    assert obs.components[0].group == "us-east-1"  # from the service key's suffix
    [obs] = aws.parse(payload, now, aws_spec(regions=["eu-south-1"]))
    assert obs.state is State.OPERATIONAL


def test_aws_unknown_status_code_neither_raises_nor_clears(now):
    events = [dict(AWS_SYNTHETIC_EVENTS[2], status="7")]
    [obs] = aws.parse(json.dumps(events), now)
    assert obs.state is State.UNKNOWN
    assert obs.incidents[0].status == "status 7"


def test_aws_spec_validation():
    assert aws_spec(regions=[" EU-South-1 "]).regions == ["eu-south-1"]
    with pytest.raises(ValidationError):
        aws_spec(regions=["Milan"])
    with pytest.raises(ValidationError):
        aws.AwsRssSource(kind="aws_rss", url=AWS_URL, regions=[])


def rss_from_item(index: int) -> bytes:
    """The real Tokyo RSS with its `index` newest items cut out of the XML text (no feedparser involved)."""
    text = AWS_RSS.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"<item>", text)]
    return (text[: starts[0]] + text[starts[index]:]).encode("utf-8")


def test_aws_rss_service_degradation_is_a_partial_outage(now):
    [obs] = aws.parse_rss(rss_from_item(2), now)
    assert obs.state is State.PARTIAL_OUTAGE
    assert obs.raw_status == "Service degradation"
    [incident] = obs.incidents
    assert incident.name == "インスタンスの接続性について | Instance Availability"
    assert incident.started_at == utc(2019, 8, 23, 8, 54, 51)  # 01:54:51 PDT
    assert incident.url == "http://status.aws.amazon.com/"


def test_aws_rss_informational_message_is_degraded(now):
    [obs] = aws.parse_rss(rss_from_item(1), now)
    assert obs.state is State.DEGRADED_PERFORMANCE
    assert obs.raw_status == "Informational message"


def test_aws_rss_resolved_informational_message_is_operational(now):
    # Item 7 is "Informational message: [解決済] … | [RESOLVED] API Increased API Error Rates" (2017).
    [obs] = aws.parse_rss(rss_from_item(7), now)
    assert obs.state is State.OPERATIONAL
    assert obs.incidents == ()


def test_aws_rss_without_items_is_operational(now):
    payload = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    [obs] = aws.parse_rss(payload, now)
    assert (obs.state, obs.raw_status) == (State.OPERATIONAL, "no items")


def test_aws_rss_unknown_title_is_an_error(now):
    payload = b'<rss version="2.0"><channel><item><title>Something new: hello</title></item></channel></rss>'
    with pytest.raises(ParseError, match="unrecognised AWS status title"):
        aws.parse_rss(payload, now)


# ----------------------------------------------------------------------------------------------- Meta

META_URL = "https://metastatus.com/data/orgs.json"

# SYNTHETIC: no real capture exists. Shaped like https://metastatus.com/data/orgs.json as its public
# clients read it: an array of organisations `{id, name, rss_file_paths?, services: [{id, name, status}]}`
# (dashboards that pick `orgs.find(o => o.id === "whatsapp-business-api")` and map `service.status`;
# REFERENCES.md lists the same shape). Status texts are the ones those clients match on.
META_SYNTHETIC = [
    {
        "id": "whatsapp-business-api",
        "name": "WhatsApp Business Platform",
        "rss_file_paths": ["outage-events-feed-whatsapp-business-api.rss"],
        "services": [
            {"id": 1, "name": "Cloud API", "status": "No known issues"},
            {"id": 4, "name": "Webhooks", "status": "Medium disruptions"},
            {"id": 6, "name": "Embedded Signup", "status": "Resolved"},
        ],
    },
    {
        "id": "facebook-login",
        "name": "Facebook Login",
        "services": [{"id": 1, "name": "Facebook Login", "status": "High disruptions"}],
    },
    {"id": "graph-api", "name": "Graph API", "services": [{"id": 1, "name": "Graph API", "status": "No known issues"}]},
]


def meta_spec(**fields) -> meta.MetaSource:
    return meta.MetaSource(kind="meta", url=META_URL, **fields)


def meta_payload(orgs=None) -> bytes:
    return json.dumps(META_SYNTHETIC if orgs is None else orgs).encode()


def test_meta_synthetic_page_is_the_worst_service(now):
    [obs] = meta.parse(meta_payload(), now)
    assert obs.state is State.MAJOR_OUTAGE
    assert len(obs.components) == 5
    assert [(i.name, i.status, i.impact) for i in obs.incidents] == [
        ("Facebook Login: Facebook Login", "High disruptions", "major_outage"),
        ("WhatsApp Business Platform: Webhooks", "Medium disruptions", "partial_outage"),
    ]
    assert obs.incidents[0].url == "https://metastatus.com/facebook-login"
    assert obs.raw_status == "Webhooks: Medium disruptions; Facebook Login: High disruptions"
    assert obs.reported_at is None


@pytest.mark.parametrize(
    "wanted, state, count",
    [
        (["WhatsApp Business API"], State.PARTIAL_OUTAGE, 3),  # the org id, spaced
        (["whatsapp-business-api"], State.PARTIAL_OUTAGE, 3),
        (["WhatsApp Business Platform"], State.PARTIAL_OUTAGE, 3),
        (["cloud api"], State.OPERATIONAL, 1),
        (["Graph API", "Embedded Signup"], State.OPERATIONAL, 2),
    ],
)
def test_meta_services_filter(wanted, state, count, now):
    [obs] = meta.parse(meta_payload(), now, meta_spec(services=wanted))
    assert obs.state is state
    assert len(obs.components) == count


def test_meta_name_found_nowhere_is_an_error(now):
    with pytest.raises(ParseError, match="not on the page: instagram"):
        meta.parse(meta_payload(), now, meta_spec(services=["Cloud API", "Instagram"]))


@pytest.mark.parametrize(
    "text, state",
    [
        ("No known issues", State.OPERATIONAL),
        ("Resolved", State.OPERATIONAL),
        ("Low disruptions", State.DEGRADED_PERFORMANCE),
        ("Medium disruption", State.PARTIAL_OUTAGE),
        ("High disruptions", State.MAJOR_OUTAGE),
        ("MAJOR DISRUPTION", State.MAJOR_OUTAGE),
        ("Under maintenance", State.UNDER_MAINTENANCE),
        ("Some disruption", State.UNKNOWN),
        ("Unresolved", State.UNKNOWN),
        ("", State.UNKNOWN),
        (None, State.UNKNOWN),
    ],
)
def test_meta_status_text_mapping(text, state):
    assert meta.status_state(text) is state


def test_meta_unrecognised_statuses_do_not_count(now):
    orgs = [{"id": "x", "name": "X", "services": [
        {"name": "A", "status": "No known issues"}, {"name": "B", "status": "Wobbly"}]}]
    [obs] = meta.parse(meta_payload(orgs), now)
    assert obs.state is State.OPERATIONAL
    assert [c.state for c in obs.components] == [State.OPERATIONAL, State.UNKNOWN]
    orgs[0]["services"] = [{"name": "B", "status": "Wobbly"}]
    [obs] = meta.parse(meta_payload(orgs), now)
    assert obs.state is State.UNKNOWN  # nothing recognised: not evidence of health


def test_meta_service_time_is_kept_when_readable(now):
    # SYNTHETIC `time` values: the field's real format is not documented; ISO and epoch seconds are read.
    orgs = [{"id": "x", "name": "X", "services": [
        {"name": "A", "status": "Low disruptions", "time": "2026-11-29T09:30:00Z"},
        {"name": "B", "status": "Resolved", "time": 1764406800},
        {"name": "C", "status": "Resolved", "time": "yesterday"}]}]
    [obs] = meta.parse(meta_payload(orgs), now)
    assert obs.reported_at == utc(2026, 11, 29, 9, 30)
    assert obs.incidents[0].started_at == utc(2026, 11, 29, 9, 30)


# ---------------------------------------------------------------------------------------------- Feeds

FEED_URL = "https://www.githubstatus.com/history.atom"
NEWEST = utc(2026, 8, 21, 0, 40)  # three minutes after the newest entry's last update (00:37:20)


def feed_spec(**fields) -> feed.FeedSource:
    return feed.FeedSource(kind="feed", url=FEED_URL, **fields)


def github_with_open_newest_entry() -> bytes:
    # No entry of the real file is open; rewrite the newest entry's latest block (the first escaped
    # <strong>Resolved</strong> of the file) to Investigating. The rest of the file is untouched.
    raw = GITHUB_ATOM.read_bytes()
    resolved = b"&lt;strong&gt;Resolved&lt;/strong&gt;"
    assert raw.index(resolved) < raw.index(b"<entry>", raw.index(b"<entry>") + 1)
    return raw.replace(resolved, b"&lt;strong&gt;Investigating&lt;/strong&gt;", 1)


def test_github_history_right_after_its_newest_entry_is_operational():
    [obs] = feed.parse(GITHUB_ATOM.read_bytes(), NEWEST)
    assert obs.state is State.OPERATIONAL  # every entry's latest block says Resolved


def test_github_history_with_an_open_newest_entry():
    [obs] = feed.parse(github_with_open_newest_entry(), NEWEST)
    assert obs.state is State.DEGRADED_PERFORMANCE  # "Intermittent failures": no outage word
    [incident] = obs.incidents
    assert incident.name == "Intermittent failures creating agent tasks"
    assert (incident.status, incident.impact) == ("investigating", "degraded_performance")
    assert incident.url == "https://www.githubstatus.com/incidents/bhbcjn4n3jzp"
    assert incident.started_at == utc(2026, 8, 21, 0, 37, 20)
    assert obs.raw_status == "investigating: Intermittent failures creating agent tasks"
    assert obs.description == incident.name


def test_github_open_entry_outside_the_window_does_not_count():
    [obs] = feed.parse(github_with_open_newest_entry(), utc(2026, 8, 21, 4, 0), feed_spec(window_minutes=180))
    assert obs.state is State.OPERATIONAL
    [obs] = feed.parse(github_with_open_newest_entry(), utc(2026, 8, 21, 4, 0), feed_spec(window_minutes=240))
    assert obs.state is State.DEGRADED_PERFORMANCE


def synthetic_rss(*items: tuple[str, str], date: str = "Sun, 29 Nov 2026 09:30:00 GMT") -> bytes:
    """SYNTHETIC RSS 2.0 (title, description) items, all dated `date`."""
    body = "".join(
        f"<item><title>{t}</title><description>{d}</description><link>https://status.example/i/{n}</link>"
        f"<pubDate>{date}</pubDate></item>"
        for n, (t, d) in enumerate(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Status</title>{body}</channel></rss>'.encode()


def statuspage_block(word: str, text: str) -> str:
    """One Statuspage update block, HTML-escaped as in the real feeds' bodies."""
    return (
        "&lt;p&gt;&lt;small&gt;Nov 29, 09:30 UTC&lt;/small&gt;&lt;br&gt;"
        f"&lt;strong&gt;{word}&lt;/strong&gt; - {text}&lt;/p&gt;"
    )


@pytest.mark.parametrize(
    "title, description, state",
    [
        ("Partial outage of the API", "We are investigating.", State.PARTIAL_OUTAGE),
        ("Service unavailable in West Europe", "Engineers are engaged.", State.MAJOR_OUTAGE),
        ("Login is down", "", State.MAJOR_OUTAGE),
        ("Release asset downloads slow", "Elevated latency.", State.DEGRADED_PERFORMANCE),
        ("Elevated error rates", "", State.DEGRADED_PERFORMANCE),
        ("Incident with Actions", "", State.DEGRADED_PERFORMANCE),
        ("Maintenance in progress", "Storage maintenance.", State.UNDER_MAINTENANCE),
        ("Scheduled maintenance", "Planned for Sunday.", State.OPERATIONAL),
        ("Outage of the API", "This incident has been resolved.", State.OPERATIONAL),
        ("Login outage", "All systems operational.", State.OPERATIONAL),
        ("Login outage", "Not yet resolved; the portal is not operational.", State.MAJOR_OUTAGE),
    ],
)
def test_feed_keywords(title, description, state, now):
    [obs] = feed.parse(synthetic_rss((title, description)), now)
    assert obs.state is state


@pytest.mark.parametrize(
    "word, title, state, listed",
    [
        ("Investigating", "Major outage of Git operations", State.MAJOR_OUTAGE, True),
        ("Monitoring", "Major outage of Git operations", State.DEGRADED_PERFORMANCE, True),
        ("Resolved", "Major outage of Git operations", State.OPERATIONAL, False),
        ("Postmortem", "Major outage of Git operations", State.OPERATIONAL, False),
        ("In progress", "Database upgrade", State.UNDER_MAINTENANCE, True),
        ("Verifying", "Database upgrade", State.UNDER_MAINTENANCE, True),
        ("Scheduled", "Database upgrade", State.OPERATIONAL, True),
        ("Completed", "Database upgrade", State.OPERATIONAL, False),
        ("Identified", "Errors caused by maintenance work", State.DEGRADED_PERFORMANCE, True),
    ],
)
def test_feed_statuspage_latest_block_decides(word, title, state, listed, now):
    body = statuspage_block(word, "Latest words.") + statuspage_block("Investigating", "Older words, outage.")
    [obs] = feed.parse(synthetic_rss((title, body)), now)
    assert obs.state is state
    assert len(obs.incidents) == int(listed)


def test_feed_vendor_markup_never_reaches_incident_names(now):
    payload = synthetic_rss(("&lt;img src=x onerror=alert(1)&gt;API &lt;b&gt;down&lt;/b&gt;", "Investigating."))
    [obs] = feed.parse(payload, now)
    assert obs.incidents[0].name == "API down"
    long = synthetic_rss(("Outage " + "x" * 1000, ""))
    assert len(feed.parse(long, now)[0].incidents[0].name) <= 300


def test_feed_with_no_entries_is_operational(now):
    [obs] = feed.parse(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>', now)
    assert obs.state is State.OPERATIONAL
    [obs] = feed.parse(synthetic_rss(), now)
    assert obs.state is State.OPERATIONAL


def test_feed_undated_entries_never_count(now):
    payload = b'<rss version="2.0"><channel><item><title>Everything is down</title></item></channel></rss>'
    [obs] = feed.parse(payload, now)
    assert obs.state is State.OPERATIONAL


def test_feed_spec_validation():
    assert feed_spec().window_minutes == 180
    with pytest.raises(ValidationError):
        feed_spec(window_minutes=0)


# ----------------------------------------------------------------------------------------------- HTML

HTML_URL = "https://help.netflix.com/en/is-netflix-down"


def html_spec(**fields) -> html.HtmlSource:
    fields.setdefault("down_phrases", ["Netflix is down", "we are experiencing an interruption"])
    fields.setdefault("ok_phrases", ["Netflix is up"])
    return html.HtmlSource(kind="html", url=HTML_URL, **fields)


def synthetic_page(body: str) -> bytes:
    """SYNTHETIC help page (no real capture is stored): head, styles and scripts around `body`."""
    return (
        "<!DOCTYPE html><html><head><title>Is Netflix Down?</title><style>.down{color:red}</style>"
        "<script>var msg = 'Netflix is down';</script></head><body><nav>Help Center</nav>"
        f"<main>{body}</main><script>track('Netflix is down')</script></body></html>"
    ).encode()


def test_html_ok_page(now):
    page = synthetic_page("<h1>Netflix is up!</h1><p>We are not seeing any interruption.</p>")
    [obs] = html.parse(page, now, html_spec())
    assert obs.state is State.OPERATIONAL  # the scripts' "Netflix is down" is not visible text
    assert obs.raw_status == "ok phrase: Netflix is up"


def test_html_down_page_names_the_phrase(now):
    page = synthetic_page("<p>Netflix&nbsp;is <b>DOWN</b>\n in some regions. We are working on it.</p>")
    [obs] = html.parse(page, now, html_spec())
    assert obs.state is State.MAJOR_OUTAGE
    assert obs.raw_status == "down phrase: Netflix is down"
    assert obs.description.startswith('the page says "Netflix is down": ')
    assert "in some regions" in obs.description
    assert "<" not in obs.description


def test_html_down_phrase_wins_over_ok_phrase(now):
    page = synthetic_page("<p>Netflix is up on TV.</p><p>We are experiencing an interruption on mobile.</p>")
    assert html.parse(page, now, html_spec())[0].state is State.MAJOR_OUTAGE


def test_html_phrases_match_whole_words(now):
    page = synthetic_page("<p>Netflix is downloading updates. Netflix is up.</p>")
    assert html.parse(page, now, html_spec())[0].state is State.OPERATIONAL


def test_html_page_without_body_tag_still_has_text(now):
    page = b"<html><head><title>Help</title><meta charset=utf-8><h1>Netflix is up</h1></html>"
    assert html.parse(page, now, html_spec())[0].state is State.OPERATIONAL
    assert html.visible_text("<head><title>T</title></head><p>a<br>b</p><i>c</i>d") == "a b cd"


def test_html_redesigned_page_is_an_error_not_operational(now):
    with pytest.raises(ParseError, match="none of the expected phrases found: the page may have changed"):
        html.parse(synthetic_page("<p>Welcome to the new Help Center.</p>"), now, html_spec())


def test_html_spec_validation():
    with pytest.raises(ValidationError):
        html.HtmlSource(kind="html", url=HTML_URL, down_phrases=[])
    with pytest.raises(ValidationError):
        html.HtmlSource(kind="html", url=HTML_URL)
    with pytest.raises(ValidationError, match="contains the down phrase"):
        html_spec(down_phrases=["down"], ok_phrases=["not down"])
    assert html_spec(down_phrases=["  is down "]).down_phrases == ["is down"]


# ------------------------------------------------------------------------------------ Bad payloads

BAD = [
    (apple.parse, None, b"<html><body>502 Bad Gateway</body></html>", "neither JSON nor a JSONP"),
    (apple.parse, None, b"jsonCallback({\"services\": [});", "not JSON"),
    (apple.parse, None, b"[]", "expected a JSON object"),
    (apple.parse, None, b'{"services": []}', "no services on the page"),
    (apple.parse, None, b'{"services": [{"serviceName": 7}]}', r"services\.0\.serviceName"),
    (apple.parse, None, b'{"services": [{"serviceName": "x", "events": "none"}]}', r"services\.0\.events"),
    (apple.parse, None, b"\xff\xfe\x00garbage", "not UTF-8"),
    (aws.parse, None, b"", "not JSON"),
    (aws.parse, None, b'{"events": []}', "expected a JSON array of events"),
    (aws.parse, None, b'[{"status": {"code": 2}}]', r"0\.status"),
    (aws.parse, None, b"[1, 2]", "unexpected AWS Health payload"),
    (aws.parse, None, b"\xff\xfe[\x00]", "not UTF-8 or UTF-16 text"),  # odd length
    (aws.parse, None, b"\x80abc", "not UTF-8 or UTF-16 text"),
    (aws.parse_rss, None, b"<html><body>Service Health Dashboard</body></html>", "not an RSS or Atom feed"),
    (aws.parse_rss, None, b"[]", "not an RSS or Atom feed"),
    (meta.parse, None, b'{"orgs": []}', "expected a JSON array of organisations"),
    (meta.parse, None, b"[]", "no services on the page"),
    (meta.parse, None, b'[{"id": "x", "services": [{"status": "Resolved"}]}]', r"0\.services\.0\.name"),
    (meta.parse, None, b"\xc3\x28", "not UTF-8"),
    (feed.parse, None, b'{"status": "ok"}', "not an RSS or Atom feed"),
    (feed.parse, None, b"<html><body>502 Bad Gateway</body></html>", "not an RSS or Atom feed"),
    (feed.parse, None, b"", "not an RSS or Atom feed"),
    (html.parse, None, b"<p>Netflix is down</p>", "no source spec given"),
    (html.parse, "spec", b"\xff\xfe<p>Netflix is down</p>", "not UTF-8"),
    (html.parse, "spec", b"<p>x</p><![if foo[bar]]>", "unparseable HTML|none of the expected phrases"),
    (html.parse, "spec", b"", "none of the expected phrases"),
]


@pytest.mark.parametrize("parse, spec, payload, message", BAD, ids=lambda v: v if isinstance(v, str) else None)
def test_bad_payloads_raise_a_parse_error_with_a_reason(parse, spec, payload, message, now):
    with pytest.raises(ParseError, match=message) as caught:
        parse(payload, now, html_spec() if spec else None)
    assert "\n" not in str(caught.value) and len(str(caught.value)) <= 300


@pytest.mark.parametrize("parse", [apple.parse, aws.parse, meta.parse], ids=["apple", "aws", "meta"])
def test_deeply_nested_json_is_a_parse_error(parse, now):
    with pytest.raises(ParseError, match="not JSON"):
        parse(b"[" * 100_000 + b"]" * 100_000, now)


@pytest.mark.parametrize("parse", [feed.parse, aws.parse_rss, apple.parse, aws.parse, meta.parse])
def test_text_with_a_lone_surrogate_is_not_a_crash(parse, now):
    for text in ("<rss>\ud800</rss>", '{"services": ["\ud800"]}', "[\udfff]"):
        assert_one_observation_or_parse_error(parse, text, now)


def test_feedparser_never_opens_a_payload_that_names_a_file(tmp_path, now):
    # feedparser.parse(bytes_or_str) opens a local file or URL the argument names; the parsers pass a stream.
    planted = tmp_path / "feed.xml"
    planted.write_bytes(synthetic_rss(("Everything is down", "")))
    for parse in (feed.parse, aws.parse_rss):
        with pytest.raises(ParseError, match="not an RSS or Atom feed"):
            parse(str(planted).encode(), now)
        with pytest.raises(ParseError, match="not an RSS or Atom feed"):
            parse(str(planted), now)


# ------------------------------------------------------------------------------ Property tests

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)


def one_of(values: list, *others: st.SearchStrategy) -> st.SearchStrategy:
    """A likely value (so that payloads get past the shape checks into the mapping code), None, or noise."""
    return st.one_of(st.sampled_from(values), st.none(), *others)


def some_keys(**fields: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries({}, optional=fields)


LIKELY_WORDS = [
    "ongoing", "resolved", "upcoming", "completed", "Outage", "Issue", "Maintenance", "Performance", "0", "1", "2",
    "3", "No known issues", "High disruptions", "01/02/2020 10:00 PST", "us-east-1", "ec2-eu-south-1",
    "arn:aws:health:eu-south-1::event/x", "[RESOLVED] x",
]
loose = st.one_of(json_scalars, st.lists(json_scalars, max_size=2), st.sampled_from(LIKELY_WORDS),
                  st.integers(min_value=0, max_value=2**62))
markup = st.sampled_from(["<b>x</b>", "&lt;script&gt;", "a < b", "<![foo[", "&amp;", "x" * 400])
epochs = st.none() | st.integers(min_value=-(2**63), max_value=2**63) | st.floats() | st.text(max_size=12)

apple_dates = one_of(["02/10/2020 11:45 PST", "08/01/2020 09:30 PDT", "13/45/2020 99:99 PDT"], st.text(max_size=12))
apple_event = some_keys(
    statusType=one_of(["Outage", "Issue", "Performance", "Maintenance", "Available"], st.text(max_size=8)),
    eventStatus=one_of(["ongoing", "ongoing", "resolved", "upcoming", "completed", "scheduled"], st.text(max_size=8)),
    epochStartDate=epochs,
    epochEndDate=epochs,
    startDate=apple_dates,
    endDate=apple_dates,
    datePosted=apple_dates,
    message=st.none() | st.text(max_size=30) | markup,
    messageId=st.none() | st.text(max_size=5) | st.integers(),
)
apple_service = st.fixed_dictionaries(
    {"serviceName": st.text(max_size=12) | markup},
    optional={"events": st.none() | st.lists(apple_event, max_size=3)},
)
APPLE_KEYS = ["statusType", "eventStatus", "epochStartDate", "epochEndDate", "startDate", "endDate", "datePosted",
              "message", "messageId", "usersAffected"]
apple_noisy_service = st.fixed_dictionaries({
    "serviceName": st.text(max_size=15) | loose,
    "events": st.lists(st.dictionaries(st.sampled_from(APPLE_KEYS), loose), max_size=3) | loose,
})
apple_shaped = st.fixed_dictionaries({"services": st.lists(apple_service | apple_noisy_service, max_size=4)})

aws_codes = one_of(["0", "1", "2", "3", "9", " 2 "], st.integers(min_value=-1, max_value=4))
aws_log_entry = some_keys(
    summary=st.none() | st.text(max_size=8),
    message=st.none() | st.text(max_size=8) | markup,
    status=aws_codes,
    timestamp=epochs,
)
aws_impacted = some_keys(service_name=st.none() | st.text(max_size=8), current=aws_codes, max=aws_codes)
aws_event = some_keys(
    arn=one_of(["arn:aws:health:eu-south-1::event/EC2/X/Y", "arn:aws:health:global::e"], st.text(max_size=10)),
    date=epochs,
    region_name=one_of(["eu-south-1", "US-EAST-1", "N. Virginia", ""], st.text(max_size=8)),
    service=one_of(["ec2-eu-south-1", "s3-us-standard", "iam", "internetconnectivity-us-east-2"], st.text(max_size=10)),
    service_name=st.none() | st.text(max_size=15) | markup,
    status=aws_codes,
    summary=one_of(["[RESOLVED] Increased errors", "Increased errors"], st.text(max_size=15), markup),
    event_log=st.none() | st.lists(aws_log_entry, max_size=2),
    impacted_services=st.none() | st.dictionaries(st.text(max_size=5), aws_impacted, max_size=2),
)
AWS_KEYS = ["arn", "date", "region_name", "service", "service_name", "status", "summary", "event_log",
            "impacted_services"]
aws_shaped = st.one_of(
    st.lists(aws_event, max_size=4),
    st.fixed_dictionaries({"current": st.lists(aws_event, max_size=3)},
                          optional={"archive": st.lists(aws_event, max_size=2)}),
    st.lists(st.dictionaries(st.sampled_from(AWS_KEYS), loose), max_size=4),
)

META_STATUSES = ["No known issues", "Resolved", "Low disruptions", "Medium disruptions", "High disruptions",
                 "Major disruption", "Under maintenance"]
meta_service = st.fixed_dictionaries(
    {"name": st.text(max_size=12) | markup},
    optional={
        "id": st.none() | st.integers() | st.text(max_size=4),
        "status": one_of(META_STATUSES, st.text(max_size=12)),
        "time": one_of(["2026-11-29T09:30:00Z", "2026-11-29T09:30:00"], epochs),
    },
)
meta_org = st.fixed_dictionaries(
    {"services": st.none() | st.lists(meta_service, max_size=4)},
    optional={
        "id": one_of(["whatsapp-business-api", "../x"], st.text(max_size=8), st.integers()),
        "name": st.none() | st.text(max_size=12),
        "rss_file_paths": st.lists(st.text(max_size=5), max_size=1),
    },
)
meta_noisy_org = st.fixed_dictionaries({
    "id": loose,
    "name": loose,
    "services": st.lists(st.dictionaries(st.sampled_from(["id", "name", "status", "time"]), loose), max_size=4) | loose,
})
meta_shaped = st.lists(meta_org | meta_noisy_org, max_size=4)

XML_BITS = [
    '<?xml version="1.0"?>', '<rss version="2.0">', "</rss>", "<channel>", "</channel>", "<item>", "</item>",
    "<title>", "</title>", "<description>", "</description>", "<pubDate>Sun, 29 Nov 2026 09:30:00 GMT</pubDate>",
    '<feed xmlns="http://www.w3.org/2005/Atom">', "</feed>", "<entry>", "</entry>",
    "<updated>2026-11-29T09:30:00Z</updated>", '<content type="html">', "</content>",
    "&lt;strong&gt;Investigating&lt;/strong&gt; - ", "<strong>Resolved</strong> - ", "Service disruption: ",
    "Informational message: ", "[RESOLVED]", "outage", "maintenance", "partial", "<![CDATA[", "]]>",
    "<script>", "</script>", "<![foo[", "<!--", "&amp;", "&#0;", "<b>", "Netflix is down", "Netflix is up",
]
xmlish = st.lists(st.sampled_from(XML_BITS) | st.text(max_size=8), max_size=30).map("".join)


def assert_one_observation_or_parse_error(parse, payload, now, spec=None):
    try:
        result = parse(payload, now, spec)
    except ParseError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(result, list) and len(result) == 1
    assert isinstance(result[0], Observation)
    assert result[0].observed_at == now


JSON_PARSERS = [apple.parse, aws.parse, meta.parse]
TEXT_PARSERS = [feed.parse, aws.parse_rss, html.parse]


@pytest.mark.parametrize("parse", JSON_PARSERS + TEXT_PARSERS, ids=lambda p: f"{p.__module__}.{p.__name__}")
@PROPERTY
@given(payload=st.binary(max_size=300) | st.binary(max_size=100).map(lambda b: b"\xff\xfe" + b))
def test_arbitrary_bytes(parse, payload, now):
    assert_one_observation_or_parse_error(parse, payload, now, html_spec() if parse is html.parse else None)


@pytest.mark.parametrize("parse", JSON_PARSERS, ids=lambda p: f"{p.__module__}.{p.__name__}")
@PROPERTY
@given(doc=json_values, encoding=st.sampled_from(["utf-8", "utf-16", "str", "jsonp"]))
def test_arbitrary_json(parse, doc, encoding, now):
    text = json.dumps(doc)
    payload = {"utf-8": text.encode(), "utf-16": text.encode("utf-16"), "str": text,
               "jsonp": f"jsonCallback({text});".encode()}[encoding]
    assert_one_observation_or_parse_error(parse, payload, now)


def strings_in(doc) -> list[str]:
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [s for v in doc.values() for s in strings_in(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in strings_in(v)]
    return []


SPECS = {
    "apple": lambda names, flag: apple_spec(services=names),
    "aws": lambda names, flag: aws_spec(regions=names, include_global=flag),
    "meta": lambda names, flag: meta_spec(services=names),
}


@pytest.mark.parametrize(
    "kind, parse, shaped",
    [("apple", apple.parse, apple_shaped), ("aws", aws.parse, aws_shaped), ("meta", meta.parse, meta_shaped)],
    ids=["apple", "aws", "meta"],
)
@PROPERTY
@given(data=st.data())
def test_json_shaped_like_the_real_payloads(kind, parse, shaped, data, now):
    doc = data.draw(shaped)
    spec = None
    # Sometimes filter on names taken from the payload itself (or on anything), so that filters match too.
    likely = ["eu-south-1", "us-east-1", "TestFlight", "whatsapp-business-api"]
    candidates = st.sampled_from(likely + strings_in(doc)[:20])
    names = data.draw(st.none() | st.lists(candidates | st.text(min_size=1, max_size=8), min_size=1, max_size=2))
    if names is not None:
        try:
            spec = SPECS[kind](names, data.draw(st.booleans()))
        except ValidationError:
            spec = None
    assert_one_observation_or_parse_error(parse, json.dumps(doc).encode(), now, spec)


@pytest.mark.parametrize("parse", TEXT_PARSERS, ids=lambda p: f"{p.__module__}.{p.__name__}")
@PROPERTY
@given(text=st.lists(st.characters() | st.sampled_from(["\ud800", "\udfff"]), max_size=200).map("".join) | xmlish)
def test_arbitrary_text_and_xmlish(parse, text, now):
    spec = html_spec() if parse is html.parse else None
    assert_one_observation_or_parse_error(parse, text, now, spec)
    assert_one_observation_or_parse_error(parse, text.encode("utf-8", "surrogatepass"), now, spec)


@PROPERTY
@given(items=st.lists(st.tuples(st.text(max_size=40) | xmlish, st.text(max_size=60) | xmlish), max_size=4),
       window=st.integers(min_value=1, max_value=600))
def test_wellformed_feeds_with_arbitrary_text(items, window, now):
    from xml.sax.saxutils import escape

    payload = synthetic_rss(*[(escape(t), escape(d)) for t, d in items])
    assert_one_observation_or_parse_error(feed.parse, payload, now, feed_spec(window_minutes=window))
    assert_one_observation_or_parse_error(aws.parse_rss, payload, now)


@PROPERTY
@given(down=st.lists(st.text(min_size=1, max_size=15).filter(str.strip), min_size=1, max_size=3),
       body=st.text(max_size=100) | xmlish)
def test_html_with_arbitrary_phrases(down, body, now):
    try:
        spec = html.HtmlSource(kind="html", url=HTML_URL, down_phrases=down, ok_phrases=["ok"])
    except ValidationError:
        return
    assert_one_observation_or_parse_error(html.parse, synthetic_page(body), now, spec)

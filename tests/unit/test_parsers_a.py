"""Instatus, status.io, Slack, Heroku and Google parsers: every real fixture parses to the state a
person reading it would give, bad payloads raise ParseError with a reason, and nothing else escapes."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ottwatch.domain.models import Observation
from ottwatch.domain.status import State
from ottwatch.sources import google, heroku, instatus, slack, statusio
from ottwatch.sources.errors import ParseError
from pydantic import ValidationError

from tests.conftest import STATUS_PAGES

INSTATUS_DOCS = STATUS_PAGES / "instatus" / "instatus_summary_DOCS-example_2022-06-11_hasissues.json"
DOCKER = STATUS_PAGES / "statusio" / "docker_status-io_2020-07-16_partial-service-disruption.json"
GITLAB = STATUS_PAGES / "statusio" / "gitlab_status-io_2020-02-09_security-issue.json"
SLACK_ACTIVE = STATUS_PAGES / "slack" / "slack_v2_current_2020-07-30_active_2-incidents.json"
SLACK_OK = STATUS_PAGES / "slack" / "slack_v2_current_DOCS-example_ok.json"
HEROKU_BLUE = STATUS_PAGES / "heroku" / "heroku_current-status_2020-11_scheduled-maintenance_blue.json"
GCP = STATUS_PAGES / "google_cloud" / "gcp_incidents_2022-07-03_157-incidents_all-resolved.json"

GCP_URL = "https://status.cloud.google.com/incidents.json"
GCP_SPEC = google.GoogleSource(kind="google", url=GCP_URL, products=["Google Compute Engine", "Google BigQuery"])

# The fixture directories of these formats, and the module that reads each.
FORMATS = {"instatus": instatus, "statusio": statusio, "slack": slack, "heroku": heroku, "google_cloud": google}

# path -> (module, spec, state, raw_status)
EXPECTED: dict[Path, tuple[Any, Any, State, str]] = {
    # An INVESTIGATING MAJOROUTAGE incident; the maintenance has not started yet.
    INSTATUS_DOCS: (instatus, None, State.MAJOR_OUTAGE, "page.status=HASISSUES"),
    DOCKER: (statusio, None, State.PARTIAL_OUTAGE, "status_code=400"),
    # A security event with five components flagged: partial, and raw_status says why.
    GITLAB: (statusio, None, State.PARTIAL_OUTAGE, "status_code=600 (security event, read as partial_outage)"),
    # Two active "incident"-type issues (notification settings, API latency): degraded, not down.
    SLACK_ACTIVE: (slack, None, State.DEGRADED_PERFORMANCE, "status=active"),
    SLACK_OK: (slack, None, State.OPERATIONAL, "status=ok"),
    # Data is blue (maintenance) although the maintenance entry itself is already resolved.
    HEROKU_BLUE: (heroku, None, State.UNDER_MAINTENANCE, "Apps=green Data=blue Tools=green"),
    GCP: (google, GCP_SPEC, State.OPERATIONAL, "no open incident"),
}


def _doc(path: Path) -> Any:
    return json.loads(path.read_bytes())


def _bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def _one(module: Any, payload: bytes | str, now: datetime, spec: Any = None) -> Observation:
    observations = module.parse(payload, now, spec)
    assert len(observations) == 1
    return observations[0]


# --- every real fixture -------------------------------------------------------------------------


def test_every_fixture_of_these_formats_is_covered():
    on_disk = {p for d in FORMATS for p in (STATUS_PAGES / d).rglob("*") if p.is_file()}
    assert on_disk == set(EXPECTED)
    assert all(EXPECTED[p][0] is FORMATS[p.parent.name] for p in EXPECTED)


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_fixture_parses_to_expected_state(path, now):
    module, spec, state, raw = EXPECTED[path]
    obs = _one(module, path.read_bytes(), now, spec)
    assert obs.state is state
    assert obs.raw_status == raw
    assert obs.observed_at == now
    assert obs.error is None
    assert (obs.service, obs.source) == ("", "")
    for stamp in [obs.reported_at] + [i.started_at for i in obs.incidents] + [i.scheduled_until for i in obs.incidents]:
        assert stamp is None or stamp.utcoffset() == timedelta(0)


def test_parsers_take_text_as_well_as_bytes(now):
    for path, (module, spec, state, _) in EXPECTED.items():
        assert _one(module, path.read_text(encoding="utf-8"), now, spec).state is state


# --- Instatus -----------------------------------------------------------------------------------


def test_instatus_docs_example_lists_the_incident_then_the_upcoming_maintenance(now):
    obs = _one(instatus, INSTATUS_DOCS.read_bytes(), now)
    incident, maintenance = obs.incidents
    assert (incident.name, incident.status, incident.impact) == (
        "We're facing an issue with our API", "INVESTIGATING", "MAJOROUTAGE"
    )
    assert incident.url == "https://testing-widget.instatus.com/incident/cl4a8n3070721qtmzvts760c4"
    assert incident.started_at == datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC)
    assert (maintenance.name, maintenance.status) == ("Database maintenance", "NOTSTARTEDYET")
    # duration "60" (minutes, served as a string)
    assert maintenance.scheduled_until - maintenance.started_at == timedelta(minutes=60)
    assert obs.reported_at is None  # summary.json has no update time
    assert obs.components == ()


def _instatus(page_status: str = "HASISSUES", incidents: Any = "keep", maintenance_status: str | None = None) -> bytes:
    doc = _doc(INSTATUS_DOCS)
    doc["page"]["status"] = page_status
    if incidents != "keep":
        doc["activeIncidents"] = incidents
    if maintenance_status is not None:
        doc["activeMaintenances"][0]["status"] = maintenance_status
    return _bytes(doc)


@pytest.mark.parametrize(
    "page_status, incidents, maintenance_status, expected",
    [
        # HASISSUES with nothing open: something is wrong, say the least that is a fault.
        ("HASISSUES", [], None, State.DEGRADED_PERFORMANCE),
        # Upcoming maintenance alone changes nothing.
        ("UP", [], "NOTSTARTEDYET", State.OPERATIONAL),
        ("UP", [], "INPROGRESS", State.UNDER_MAINTENANCE),
        ("UNDERMAINTENANCE", [], None, State.UNDER_MAINTENANCE),
        ("UP", [], "COMPLETED", State.OPERATIONAL),
    ],
)
def test_instatus_page_status_and_maintenance(page_status, incidents, maintenance_status, expected, now):
    obs = _one(instatus, _instatus(page_status, incidents, maintenance_status), now)
    assert obs.state is expected
    assert obs.raw_status == f"page.status={page_status}"
    listed = [] if maintenance_status == "COMPLETED" else [maintenance_status or "NOTSTARTEDYET"]
    assert [i.status for i in obs.incidents] == listed


@pytest.mark.parametrize(
    "impact, status, expected",
    [
        ("PARTIALOUTAGE", "IDENTIFIED", State.PARTIAL_OUTAGE),
        ("DEGRADEDPERFORMANCE", "INVESTIGATING", State.DEGRADED_PERFORMANCE),
        ("MAJOROUTAGE", "MONITORING", State.DEGRADED_PERFORMANCE),  # a fix is being watched
        ("MAJOROUTAGE", "RESOLVED", State.DEGRADED_PERFORMANCE),  # closed: HASISSUES alone remains
        ("SOMETHINGNEW", "INVESTIGATING", State.DEGRADED_PERFORMANCE),  # unknown impact does not count
    ],
)
def test_instatus_incident_impact_and_status(impact, status, expected, now):
    doc = _doc(INSTATUS_DOCS)
    doc["activeIncidents"][0].update(impact=impact, status=status)
    obs = _one(instatus, _bytes(doc), now)
    assert obs.state is expected
    first = "Database maintenance" if status == "RESOLVED" else "We're facing an issue with our API"
    assert obs.incidents[0].name == first


def test_instatus_dates_in_other_zones_are_converted_to_utc(now):
    doc = _doc(INSTATUS_DOCS)
    doc["activeIncidents"][0]["started"] = "Sat Jun 11 2022 20:55:50 GMT+0200 (Central European Summer Time)"
    assert _one(instatus, _bytes(doc), now).incidents[0].started_at == datetime(2022, 6, 11, 18, 55, 50, tzinfo=UTC)


def test_instatus_components_when_present(now):
    doc = _doc(INSTATUS_DOCS)
    doc["page"]["status"] = "UP"
    doc["activeIncidents"] = []
    doc["components"] = [
        {"name": "API", "status": "MINOROUTAGE", "group": {"name": "Core"}},
        {"name": "Web", "status": "OPERATIONAL"},
        {"name": "Edge", "status": "ONFIRE"},
    ]
    obs = _one(instatus, _bytes(doc), now)
    assert [(c.name, c.state, c.group) for c in obs.components] == [
        ("API", State.DEGRADED_PERFORMANCE, "Core"),
        ("Web", State.OPERATIONAL, None),
        ("Edge", State.UNKNOWN, None),
    ]
    assert obs.state is State.DEGRADED_PERFORMANCE


# --- status.io ----------------------------------------------------------------------------------


def test_docker_partial_disruption_keeps_components_and_the_open_incident(now):
    obs = _one(statusio, DOCKER.read_bytes(), now)
    assert len(obs.components) == 8
    assert [(c.name, c.state, c.raw_status) for c in obs.components if c.state is not State.OPERATIONAL] == [
        ("Docker Hub Automated Builds", State.PARTIAL_OUTAGE, "400 Partial Service Disruption")
    ]
    assert all(c.group is None for c in obs.components)  # one container each: no split
    [incident] = obs.incidents
    assert (incident.name, incident.status, incident.impact) == (
        "Docker Hub automated builds issue", "investigating", "400 Partial Service Disruption"
    )
    assert incident.started_at == datetime(2020, 7, 16, 17, 22, 8, 325000, tzinfo=UTC)
    assert obs.description == "Partial Service Disruption"
    assert obs.reported_at == datetime(2020, 7, 16, 17, 22, 25, 333000, tzinfo=UTC)


def test_gitlab_security_event_is_a_partial_outage_on_the_flagged_components(now):
    obs = _one(statusio, GITLAB.read_bytes(), now)
    flagged = {c.name for c in obs.components if c.state is State.PARTIAL_OUTAGE}
    assert flagged == {"Website", "API", "Git (ssh and https)", "Registry", "CI/CD"}
    assert {c.raw_status for c in obs.components if c.name in flagged} == {"600 Security Issue"}
    [incident] = obs.incidents
    assert (incident.status, incident.impact) == ("identified", "600 Security Event")
    assert obs.description == "Security Issue"
    assert obs.reported_at == datetime(2020, 2, 9, 18, 43, 10, 17000, tzinfo=UTC)


def test_statusio_splits_a_component_by_container_only_when_its_containers_disagree(now):
    doc = _doc(DOCKER)
    web = doc["result"]["status"][1]
    web["containers"].append(
        {"id": "x", "name": "Azure", "updated": "2020-07-16T17:22:25.333Z", "status": "Service Disruption", "status_code": 500}
    )
    obs = _one(statusio, _bytes(doc), now)
    split = [(c.name, c.state, c.group) for c in obs.components if c.group]
    assert split == [
        ("Docker Hub Web / AWS", State.OPERATIONAL, "Docker Hub Web"),
        ("Docker Hub Web / Azure", State.MAJOR_OUTAGE, "Docker Hub Web"),
    ]
    assert obs.state is State.MAJOR_OUTAGE
    assert len(obs.components) == 9


def _statusio_all_clear() -> dict:
    doc = _doc(DOCKER)
    result = doc["result"]
    result["status_overall"].update(status="Operational", status_code=100)
    for comp in result["status"]:
        comp.update(status="Operational", status_code=100)
        for container in comp["containers"]:
            container.update(status="Operational", status_code=100)
    result["incidents"] = []
    return doc


def test_statusio_maintenance_active_is_under_maintenance_and_upcoming_changes_nothing(now):
    window = {
        "name": "DB upgrade",
        "_id": "m1",
        "datetime_planned_start": "2026-11-29T09:00:00.000Z",
        "datetime_planned_end": "2026-11-29T11:00:00.000Z",
    }
    doc = _statusio_all_clear()
    assert _one(statusio, _bytes(doc), now).state is State.OPERATIONAL
    doc["result"]["maintenance"]["upcoming"] = [window]
    obs = _one(statusio, _bytes(doc), now)
    assert obs.state is State.OPERATIONAL
    assert [(i.name, i.status) for i in obs.incidents] == [("DB upgrade", "scheduled")]
    doc["result"]["maintenance"] = {"active": [window], "upcoming": []}
    obs = _one(statusio, _bytes(doc), now)
    assert obs.state is State.UNDER_MAINTENANCE
    assert obs.incidents[0].status == "in_progress"
    assert obs.incidents[0].scheduled_until == datetime(2026, 11, 29, 11, 0, tzinfo=UTC)


def test_statusio_monitoring_incident_is_at_most_degraded_and_unknown_codes_do_not_count(now):
    doc = _statusio_all_clear()
    fixing = {"name": "Fix rolling out", "datetime_open": "2026-11-29T09:00:00Z", "messages": [{"state": 300, "status": 500}]}
    doc["result"]["incidents"] = [fixing]
    assert _one(statusio, _bytes(doc), now).state is State.DEGRADED_PERFORMANCE
    doc["result"]["status"][0]["status_code"] = 999
    obs = _one(statusio, _bytes(doc), now)
    assert obs.components[0].state is State.UNKNOWN
    assert obs.state is State.DEGRADED_PERFORMANCE


# --- Slack --------------------------------------------------------------------------------------


def test_slack_active_incidents_become_components_and_incidents(now):
    obs = _one(slack, SLACK_ACTIVE.read_bytes(), now)
    assert [(c.name, c.state, c.raw_status) for c in obs.components] == [
        ("Notifications", State.DEGRADED_PERFORMANCE, "incident"),
        ("Apps/Integrations/APIs", State.DEGRADED_PERFORMANCE, "incident"),
    ]
    assert [i.name for i in obs.incidents] == [
        "We are investigating an issue with notification settings",
        "We're looking into an issue with certain API calls",
    ]
    # The wire format escapes slashes (`https:\/\/`); the URL comes out plain.
    assert obs.incidents[0].url == "https://status.slack.com/2020-07/ea58a170d343b2ad"
    assert obs.incidents[1].started_at == datetime(2020, 7, 24, 17, 45, 8, tzinfo=UTC)  # -07:00 in the payload
    assert obs.reported_at == datetime(2020, 7, 30, 22, 12, 34, tzinfo=UTC)
    assert obs.description == "We are investigating an issue with notification settings"


def test_slack_docs_ok_example(now):
    obs = _one(slack, SLACK_OK.read_bytes(), now)
    assert (obs.components, obs.incidents, obs.description) == ((), (), None)
    assert obs.reported_at == datetime(2018, 9, 8, 1, 34, 15, tzinfo=UTC)


def _slack(first: dict, second: dict | None = None, status: str = "active") -> bytes:
    doc = _doc(SLACK_ACTIVE)
    doc["status"] = status
    doc["active_incidents"][0].update(first)
    doc["active_incidents"][1].update(second or {})
    return _bytes(doc)


@pytest.mark.parametrize(
    "first, second, expected, listed",
    [
        ({"type": "outage"}, None, State.MAJOR_OUTAGE, 2),
        ({"type": "notice"}, {"type": "notice"}, State.OPERATIONAL, 2),  # information only
        ({"status": "resolved"}, {"status": "resolved"}, State.OPERATIONAL, 0),
        ({"type": "notice", "status": "scheduled"}, {"status": "completed"}, State.OPERATIONAL, 1),  # upcoming
        ({"type": "maintenance"}, {"status": "cancelled"}, State.UNDER_MAINTENANCE, 1),
        ({"type": "meltdown"}, {"type": "notice"}, State.OPERATIONAL, 2),  # unknown type: listed, not counted
    ],
)
def test_slack_incident_types_and_statuses(first, second, expected, listed, now):
    obs = _one(slack, _slack(first, second), now)
    assert obs.state is expected
    assert len(obs.incidents) == listed


def test_slack_unknown_type_leaves_its_service_unknown(now):
    obs = _one(slack, _slack({"type": "meltdown"}), now)
    assert [(c.name, c.state) for c in obs.components] == [
        ("Notifications", State.UNKNOWN),
        ("Apps/Integrations/APIs", State.DEGRADED_PERFORMANCE),
    ]
    assert obs.state is State.DEGRADED_PERFORMANCE


def test_slack_active_with_nothing_listed_is_degraded(now):
    assert _one(slack, b'{"status": "active", "active_incidents": []}', now).state is State.DEGRADED_PERFORMANCE


# --- Heroku -------------------------------------------------------------------------------------


def test_heroku_blue_system_and_a_resolved_maintenance(now):
    obs = _one(heroku, HEROKU_BLUE.read_bytes(), now)
    assert [(c.name, c.state, c.raw_status) for c in obs.components] == [
        ("Apps", State.OPERATIONAL, "green"),
        ("Data", State.UNDER_MAINTENANCE, "blue"),
        ("Tools", State.OPERATIONAL, "green"),
    ]
    assert obs.incidents == ()  # the scheduled entry is resolved
    assert obs.reported_at is None  # current-status has no update time


def _heroku(systems: str = "green", incidents: list | None = None, resolved: bool = True, upcoming: bool = False) -> dict:
    doc = _doc(HEROKU_BLUE)
    for system in doc["status"]:
        system["status"] = systems
    doc["incidents"] = incidents or []
    doc["scheduled"][0].update(resolved=resolved, upcoming=upcoming)
    return doc


def test_heroku_maintenance_upcoming_is_listed_and_in_progress_is_maintenance(now):
    obs = _one(heroku, _bytes(_heroku(resolved=False, upcoming=True)), now)
    assert obs.state is State.OPERATIONAL
    assert [(i.status, i.impact) for i in obs.incidents] == [("scheduled", "prod=blue dev=blue")]
    assert obs.incidents[0].url == "https://status.heroku.com/incidents/2120"
    obs = _one(heroku, _bytes(_heroku(resolved=False, upcoming=False)), now)
    assert obs.state is State.UNDER_MAINTENANCE
    assert obs.incidents[0].status == "in_progress"


@pytest.mark.parametrize(
    "prod, dev, expected",
    [("red", "green", State.MAJOR_OUTAGE), ("green", "yellow", State.DEGRADED_PERFORMANCE), ("green", "green", State.OPERATIONAL)],
)
def test_heroku_unresolved_incident_counts_by_its_worst_colour(prod, dev, expected, now):
    incident = copy.deepcopy(_doc(HEROKU_BLUE)["scheduled"][0])
    incident.update(title="Increased Platform Latency", resolved=False, upcoming=False, status_prod=prod, status_dev=dev)
    incident["updates"] = [dict(incident["updates"][-1], update_type="issue")]
    obs = _one(heroku, _bytes(_heroku(incidents=[incident])), now)
    assert obs.state is expected
    assert obs.incidents[0].name == "Increased Platform Latency"
    assert obs.incidents[0].status == "issue"  # the latest update's type, as Heroku words it
    assert obs.incidents[0].started_at == datetime(2020, 10, 30, 0, 55, 34, 418000, tzinfo=UTC)


def test_heroku_unknown_colour_is_unknown_and_does_not_count(now):
    doc = _heroku()
    doc["status"][0]["status"] = "purple"
    obs = _one(heroku, _bytes(doc), now)
    assert obs.components[0].state is State.UNKNOWN
    assert obs.state is State.OPERATIONAL


# --- Google -------------------------------------------------------------------------------------


def _spec(*products: str) -> google.GoogleSource:
    return google.GoogleSource(kind="google", url=GCP_URL, products=list(products))


@pytest.mark.parametrize(
    "products", [("Google Compute Engine",), ("Cloud Run", "google bigquery"), ("L3ggmi3Jy4xJmgodFA9K",), ("Gmail",)]
)
def test_google_all_resolved_feed_is_operational_for_any_product(products, now):
    obs = _one(google, GCP.read_bytes(), now, _spec(*products))
    assert obs.state is State.OPERATIONAL
    expected = [(p, State.OPERATIONAL, "no open incident") for p in products]
    assert [(c.name, c.state, c.raw_status) for c in obs.components] == expected
    assert obs.incidents == ()
    assert obs.reported_at == datetime(2022, 7, 1, 19, 25, 45, tzinfo=UTC)  # the latest `modified`


def test_google_without_a_spec_watches_every_product(now):
    obs = _one(google, GCP.read_bytes(), now)
    assert (obs.state, obs.components) == (State.OPERATIONAL, ())


def test_google_parses_the_full_feed_fast(now):
    payload = GCP.read_bytes()
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        google.parse(payload, now, GCP_SPEC)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.1, timings


def _as_it_stood(incident: dict, status: str) -> dict:
    """A real incident as it stood at its last update with `status`: no `end` yet, later updates cut."""
    incident = copy.deepcopy(incident)
    del incident["end"]
    updates = incident["updates"]  # newest first
    index = next(n for n, u in enumerate(updates) if u["status"] == status)
    incident["updates"] = updates[index:]
    incident["most_recent_update"] = updates[index]
    incident["modified"] = updates[index]["modified"]
    return incident


def _feed_with(incident_id: str, status: str | None) -> bytes:
    """The real feed with one real incident reopened (status None: only its `end` removed)."""
    feed = _doc(GCP)
    n = next(n for n, i in enumerate(feed) if i["id"] == incident_id)
    if status is None:
        del feed[n]["end"]
    else:
        feed[n] = _as_it_stood(feed[n], status)
    return _bytes(feed)


COMPUTE_OUTAGE = "huJFgyiNYPPypbw8PX9Y"  # Compute Engine + Cloud Console, SERVICE_OUTAGE, June 2022
FIRESTORE_OUTAGE = "whAt3eeGhT2SbR2aQXwA"  # Cloud Firestore, SERVICE_OUTAGE then SERVICE_DISRUPTION


def test_google_open_outage_on_a_watched_product_is_a_major_outage(now):
    obs = _one(google, _feed_with(COMPUTE_OUTAGE, "SERVICE_OUTAGE"), now, GCP_SPEC)
    assert obs.state is State.MAJOR_OUTAGE
    assert obs.raw_status == "open: SERVICE_OUTAGE"
    assert [(c.name, c.state, c.raw_status) for c in obs.components] == [
        ("Google Compute Engine", State.MAJOR_OUTAGE, "SERVICE_OUTAGE"),
        ("Google BigQuery", State.OPERATIONAL, "no open incident"),  # not affected: stays operational
    ]
    [incident] = obs.incidents
    title = "Global: Some Google Cloud Console Customers are unable to create/edit GCE instances"
    assert incident.name == obs.description == title
    assert (incident.status, incident.impact) == ("SERVICE_OUTAGE", "SERVICE_OUTAGE")
    assert incident.url == "https://status.cloud.google.com/incidents/huJFgyiNYPPypbw8PX9Y"
    assert incident.started_at == datetime(2022, 6, 14, 10, 6, tzinfo=UTC)
    assert incident.scheduled_until is None
    assert obs.reported_at == datetime(2022, 7, 1, 19, 25, 45, tzinfo=UTC)


def test_google_open_outage_on_an_unwatched_product_changes_nothing(now):
    obs = _one(google, _feed_with(COMPUTE_OUTAGE, "SERVICE_OUTAGE"), now, _spec("Google BigQuery"))
    assert (obs.state, obs.incidents) == (State.OPERATIONAL, ())


def test_google_matches_products_by_title_or_id_in_any_case(now):
    payload = _feed_with(COMPUTE_OUTAGE, "SERVICE_OUTAGE")
    for product in ("google cloud console", "L3GGMI3JY4XJMGODFA9K"):
        assert _one(google, payload, now, _spec(product)).state is State.MAJOR_OUTAGE


def test_google_latest_update_gives_the_current_impact(now):
    # status_impact stays SERVICE_OUTAGE (the worst so far); the latest update says disruption.
    obs = _one(google, _feed_with(FIRESTORE_OUTAGE, "SERVICE_DISRUPTION"), now, _spec("Cloud Firestore"))
    assert obs.state is State.PARTIAL_OUTAGE
    assert obs.incidents[0].impact == "SERVICE_OUTAGE"


def test_google_available_means_recovered_even_without_an_end(now):
    assert _one(google, _feed_with(COMPUTE_OUTAGE, None), now, GCP_SPEC).state is State.OPERATIONAL


def test_google_end_in_the_future_is_still_open(now):
    feed = _doc(GCP)
    n = next(n for n, i in enumerate(feed) if i["id"] == COMPUTE_OUTAGE)
    feed[n] = _as_it_stood(feed[n], "SERVICE_OUTAGE")
    feed[n]["end"] = "2026-11-29T12:00:00+00:00"
    obs = _one(google, _bytes(feed), now, GCP_SPEC)
    assert obs.state is State.MAJOR_OUTAGE
    assert obs.incidents[0].scheduled_until == datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_google_empty_feed_is_operational(now):
    # Unlike the other formats, `[]` is a well-formed Google feed: no incidents at all.
    assert _one(google, b"[]", now, GCP_SPEC).state is State.OPERATIONAL


@pytest.mark.parametrize("products", [[], ["  "], ["Gmail", "gmail"], "Gmail"])
def test_google_spec_needs_distinct_non_empty_products(products):
    with pytest.raises(ValidationError):
        google.GoogleSource(kind="google", url=GCP_URL, products=products)


def test_spec_models_validate_kind_and_forbid_extra_fields():
    models = [
        (instatus.InstatusSource, "instatus"),
        (statusio.StatusioSource, "statusio"),
        (slack.SlackSource, "slack"),
        (heroku.HerokuSource, "heroku"),
    ]
    for model, kind in models:
        assert model(kind=kind, url="https://example.com/status").target == "https://example.com/status"
        with pytest.raises(ValidationError):
            model(kind=kind, url="https://example.com/status", products=["x"])
        with pytest.raises(ValidationError):
            model(kind="statuspage", url="https://example.com/status")
    assert GCP_SPEC.products == ["Google Compute Engine", "Google BigQuery"]


# --- bad payloads -------------------------------------------------------------------------------

BAD_COMMON = [
    (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
    (b"\xff\xfe\x00garbage", "not JSON"),  # a UTF-16 BOM, then no JSON in any encoding
    (b"\xc3\x28{}", "not UTF-8"),
    (b"", "not JSON"),
    (b"[" * 100_000, "not JSON"),
]
BAD_SPECIFIC = {
    instatus: [
        (b"[]", "expected a JSON object, got array"),
        (b"{}", "at page: Field required"),
        (b"null", "expected a JSON object, got null"),
        (b'{"result": "x"}', "at page"),
        (b'{"page": {"status": 1}}', "at page.status"),
        (b'{"page": {"status": "PURPLE"}}', "unknown page status 'PURPLE'"),
        (b'{"page": {"status": "UP"}, "activeIncidents": {"a": 1}}', "at activeIncidents"),
        (
            b'{"page": {"status": "UP"}, "activeIncidents": [{"name": "x", "status": "INVESTIGATING", "started": "yesterday"}]}',
            "not a JavaScript or ISO date",
        ),
        (
            b'{"page": {"status": "UP"}, "activeIncidents": '
            b'[{"name": "x", "status": "INVESTIGATING", "started": "Mon Jan 01 0001 00:00:00 GMT+0100"}]}',
            "not a JavaScript or ISO date",
        ),
    ],
    statusio: [
        (b"[]", "expected a JSON object, got array"),
        (b"{}", "at result: Field required"),
        (b"null", "expected a JSON object, got null"),
        (b'{"result": "x"}', "at result"),
        (b'{"result": {"status_overall": {"status_code": 700}}}', "unknown status_code 700"),
        (b'{"result": {"status_overall": {"status_code": "abc"}}}', "at result.status_overall.status_code"),
        (b'{"result": {"status_overall": {"status_code": 100}, "status": [{"name": "A", "containers": 3}]}}', "containers"),
    ],
    slack: [
        (b"[]", "expected a JSON object, got array"),
        (b"{}", "at status: Field required"),
        (b"null", "expected a JSON object, got null"),
        (b'{"result": "x"}', "at status"),
        (b'{"status": "degraded"}', "unknown status 'degraded'"),
        (b'{"status": "active", "active_incidents": "none"}', "at active_incidents"),
        (b'{"status": "ok", "date_updated": "2020-07-30 15:12"}', "without a time zone"),
        (b'{"status": "ok", "date_updated": "0001-01-01T00:00:00+01:00"}', "out of range"),
    ],
    heroku: [
        (b"[]", "expected a JSON object, got array"),
        (b"{}", "at status: Field required"),
        (b"null", "expected a JSON object, got null"),
        (b'{"result": "x"}', "at status"),
        (b'{"status": "green"}', "at status"),
        (b'{"status": []}', "no known system colour"),
        (b'{"status": [{"system": "Apps", "status": "purple"}]}', "no known system colour"),
    ],
    google: [
        (b"{}", "expected a JSON array of incidents, got object"),
        (b"null", "expected a JSON array of incidents, got null"),
        (b'{"result": "x"}', "expected a JSON array of incidents, got object"),
        (b"[1]", "at 0: "),
        (b'[{"affected_products": "Gmail"}]', "at 0.affected_products"),
        (b'[{"affected_products": [{"title": "Gmail"}], "end": "soon"}]', "not an ISO 8601 timestamp"),
    ],
}
FIXTURE_OF = {instatus: INSTATUS_DOCS, statusio: DOCKER, slack: SLACK_ACTIVE, heroku: HEROKU_BLUE, google: GCP}
BAD_CASES = [
    pytest.param(module, payload, message, id=f"{module.__name__.rsplit('.', 1)[1]}-{n}")
    for module in FIXTURE_OF
    for n, (payload, message) in enumerate(
        BAD_COMMON + BAD_SPECIFIC[module] + [(FIXTURE_OF[module].read_bytes()[:200], "not JSON")]  # truncated
    )
]


@pytest.mark.parametrize("module", FIXTURE_OF, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_text_that_cannot_be_utf8_is_refused(module, now):
    for payload in ['{"status": "\ud800"}', b'{"status": "\\ud800"}', b'[{"external_desc": "\\udfff"}]']:
        with pytest.raises(ParseError, match="unpaired surrogate"):
            module.parse(payload, now, None)


def test_an_escaped_surrogate_pair_is_fine(now):
    payload = b'{"status": "active", "active_incidents": [{"title": "\\ud83d\\ude00", "type": "incident", "status": "active"}]}'
    obs = _one(slack, payload, now)
    assert obs.incidents[0].name == "\N{GRINNING FACE}"


def test_instatus_maintenance_ending_past_year_9999_has_no_end(now):
    doc = _doc(INSTATUS_DOCS)
    doc["activeMaintenances"][0]["start"] = "Fri Dec 31 9999 23:30:00 GMT+0000"
    assert _one(instatus, _bytes(doc), now).incidents[1].scheduled_until is None


@pytest.mark.parametrize("module, payload, message", BAD_CASES)
def test_bad_payloads_raise_a_parse_error_with_a_reason(module, payload, message, now):
    spec = _spec("Gmail") if module is google else None
    with pytest.raises(ParseError, match=message) as caught:
        module.parse(payload, now, spec)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) <= 300


# --- properties ---------------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
PARSERS = [
    pytest.param(instatus, None, id="instatus"),
    pytest.param(statusio, None, id="statusio"),
    pytest.param(slack, None, id="slack"),
    pytest.param(heroku, None, id="heroku"),
    pytest.param(google, None, id="google"),
    pytest.param(google, GCP_SPEC, id="google-spec"),
]


def _strings_and_keys(doc: Any, keys: set[str], strings: set[str]) -> None:
    if isinstance(doc, dict):
        for key, value in doc.items():
            keys.add(key)
            _strings_and_keys(value, keys, strings)
    elif isinstance(doc, list):
        for value in doc:
            _strings_and_keys(value, keys, strings)
    elif isinstance(doc, str) and len(doc) < 80:
        strings.add(doc)


def _real_base(module: Any) -> Any:
    """The real document the structural properties start from (Google: three real incidents, one reopened)."""
    doc = _doc(FIXTURE_OF[module])
    if module is google:
        reopened = _as_it_stood(next(i for i in doc if i["id"] == COMPUTE_OUTAGE), "SERVICE_OUTAGE")
        return [reopened, doc[0], doc[1]]
    return doc


BASES = {module: _real_base(module) for module in FIXTURE_OF}
VOCABULARY = {}
for _module, _base in BASES.items():
    _keys: set[str] = set()
    _strings: set[str] = {
        "UP", "HASISSUES", "UNDERMAINTENANCE", "INPROGRESS", "ok", "active", "outage", "notice", "scheduled",
        "red", "yellow", "AVAILABLE",
        # dates at the edges of what datetime can hold, in each vendor's format
        "Fri Dec 31 9999 23:30:00 GMT+0000", "Mon Jan 01 0001 00:00:00 GMT+0100",
        "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    }
    _strings_and_keys(_base, _keys, _strings)
    VOCABULARY[_module] = (sorted(_keys), sorted(_strings))

# Lone surrogates are included: json.dumps writes them as `\ud800` escapes, which are valid JSON.
SURROGATES = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | SURROGATES
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)


def _real_shaped(module: Any) -> st.SearchStrategy:
    """JSON built from the format's real keys and real string values, with random structure."""
    keys, strings = VOCABULARY[module]
    leaves = SCALARS | st.sampled_from(strings) | st.sampled_from([100, 200, 300, 400, 500, 600, 700])
    values = st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(keys), children, max_size=5),
        max_leaves=20,
    )
    top = st.dictionaries(st.sampled_from(keys), values, max_size=6)
    return st.lists(top, max_size=3) if module is google else top


REAL_SHAPED = {module: _real_shaped(module) for module in FIXTURE_OF}


@st.composite
def _mutated(draw: Any, module: Any) -> Any:
    """A real document with up to three values somewhere inside replaced by random JSON."""
    doc = copy.deepcopy(BASES[module])
    keys, strings = VOCABULARY[module]
    for _ in range(draw(st.integers(1, 3))):
        parent, slot = None, None
        node = doc
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            slot = draw(st.sampled_from(sorted(node))) if isinstance(node, dict) else draw(st.integers(0, len(node) - 1))
            parent, node = node, node[slot]
        value = draw(JSON_VALUES | st.sampled_from(strings))
        if parent is None:
            if isinstance(doc, dict) and draw(st.booleans()) and doc:
                del doc[draw(st.sampled_from(sorted(doc)))]
            continue
        parent[slot] = value
    return doc


def _never_raises_anything_but_parse_error(module: Any, payload: bytes | str, now: datetime, spec: Any) -> None:
    try:
        observations = module.parse(payload, now, spec)
    except ParseError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(observations, list) and len(observations) == 1
    [obs] = observations
    assert isinstance(obs, Observation)
    assert obs.observed_at == now
    assert obs.error is None
    obs.model_dump_json()  # what a parser returns can always be stored


@pytest.mark.parametrize("module, spec", PARSERS)
@PROPERTY
@given(payload=st.binary(max_size=400))
def test_arbitrary_bytes(module, spec, payload, now):
    _never_raises_anything_but_parse_error(module, payload, now, spec)


@pytest.mark.parametrize("module, spec", PARSERS)
@PROPERTY
@given(value=JSON_VALUES, as_text=st.booleans())
def test_arbitrary_json_values(module, spec, value, as_text, now):
    text = json.dumps(value)
    _never_raises_anything_but_parse_error(module, text if as_text else text.encode(), now, spec)


@pytest.mark.parametrize("module, spec", PARSERS)
@PROPERTY
@given(data=st.data())
def test_json_built_from_the_real_keys_and_values(module, spec, data, now):
    value = data.draw(REAL_SHAPED[module])
    _never_raises_anything_but_parse_error(module, _bytes(value), now, spec)


@pytest.mark.parametrize("module, spec", PARSERS)
@PROPERTY
@given(data=st.data())
def test_real_documents_with_random_values_inside(module, spec, data, now):
    value = data.draw(_mutated(module))
    _never_raises_anything_but_parse_error(module, _bytes(value), now, spec)

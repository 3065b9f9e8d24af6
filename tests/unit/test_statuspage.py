"""Every Statuspage / incident.io payload in the fixtures parses to the state a person reading the page would give."""

from __future__ import annotations

import pytest
from ottwatch.domain.status import State
from ottwatch.sources import statuspage
from ottwatch.sources.errors import ParseError

from tests.conftest import STATUS_PAGES

SP = STATUS_PAGES / "atlassian_statuspage"
DISCORD = SP / "docs_discord-undoc"

EXPECTED = {
    SP / "github_summary_2019-12-30_none_all-operational.json": State.OPERATIONAL,
    # Five components in major_outage: a major outage, although the page indicator only says "major".
    SP / "github_summary_2020-04-02_major_outage-investigating.json": State.MAJOR_OUTAGE,
    # Packages partial_outage under a "minor" indicator: the component is worse than the indicator.
    SP / "github_summary_2022-11-25_minor_active-incident-packages-pages.json": State.PARTIAL_OUTAGE,
    SP / "cloudamqp_summary_2020-07-16_maintenance-in-progress.json": State.UNDER_MAINTENANCE,
    # A major-impact incident in "monitoring" (fix applied) and one component degraded.
    SP / "claude_summary_2026-10-07_minor_incident-monitoring_SORTEDKEYS.json": State.DEGRADED_PERFORMANCE,
    SP / "claude_scheduled-maintenances_2026-09-15_2-completed_SORTEDKEYS.json": State.OPERATIONAL,
    DISCORD / "discord_status_2022-02-15_none.json": State.OPERATIONAL,
    DISCORD / "discord_summary_2022-02-15_none_TRIMMED-1-component.json": State.OPERATIONAL,
    DISCORD / "discord_incidents_2022-02-15_TRIMMED-1-incident_minor-resolved.json": State.OPERATIONAL,
    DISCORD / "discord_incidents-unresolved_2022-02-15_empty.json": State.OPERATIONAL,
    DISCORD / "discord_scheduled-maintenances_2022-02-15_TRIMMED-1-completed.json": State.OPERATIONAL,
    DISCORD / "discord_scheduled-maintenances-upcoming_2022-02-15_empty.json": State.OPERATIONAL,
    STATUS_PAGES / "incident_io" / "openai_statuspage-compatible_summary_2026-07-09_none_SORTEDKEYS.json": State.OPERATIONAL,
}


def test_every_statuspage_fixture_is_covered():
    on_disk = {p for d in ("atlassian_statuspage", "incident_io") for p in (STATUS_PAGES / d).rglob("*.json")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_fixture_parses_to_expected_state(path, now):
    [obs] = statuspage.parse(path.read_bytes(), observed_at=now)
    assert obs.state is EXPECTED[path]
    assert obs.observed_at == now
    assert obs.error is None


def test_github_outage_keeps_components_and_the_open_incident(now):
    [obs] = statuspage.parse((SP / "github_summary_2020-04-02_major_outage-investigating.json").read_bytes(), now)
    down = {c.name for c in obs.components if c.state is State.MAJOR_OUTAGE}
    assert down == {"Git Operations", "API Requests", "Webhooks", "Issues, PRs, Projects", "GitHub Packages"}
    assert [c.state for c in obs.components if c.name == "GitHub Actions"] == [State.PARTIAL_OUTAGE]
    assert obs.incidents[0].name == "Incident on 2020-04-02 20:20 UTC"
    assert obs.incidents[0].status == "investigating"
    assert obs.description == "Partial System Outage"
    assert obs.reported_at.isoformat() == "2020-04-02T20:37:08.838000+00:00"


def test_maintenance_in_progress_is_listed_and_is_not_an_outage(now):
    [obs] = statuspage.parse((SP / "cloudamqp_summary_2020-07-16_maintenance-in-progress.json").read_bytes(), now)
    assert obs.state is State.UNDER_MAINTENANCE
    assert obs.incidents[0].status == "in_progress"
    assert obs.incidents[0].scheduled_until.isoformat() == "2020-07-16T23:00:00+00:00"


def test_resolved_incident_does_not_count(now):
    [obs] = statuspage.parse((DISCORD / "discord_incidents_2022-02-15_TRIMMED-1-incident_minor-resolved.json").read_bytes(), now)
    assert obs.incidents == ()


def test_discord_child_component_names_its_group_only_when_the_group_is_present(now):
    [obs] = statuspage.parse((DISCORD / "discord_summary_2022-02-15_none_TRIMMED-1-component.json").read_bytes(), now)
    assert obs.components[0].name == "South Korea"
    assert obs.components[0].group is None  # the doc author trimmed the parent group away


def test_incident_io_variant_without_incident_keys(now):
    path = STATUS_PAGES / "incident_io" / "openai_statuspage-compatible_summary_2026-07-09_none_SORTEDKEYS.json"
    [obs] = statuspage.parse(path.read_bytes(), now)
    assert len(obs.components) == 25
    assert obs.incidents == ()


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (b'{"status": {"indicator": "none"', "not JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"hello": "world"}', "not a Statuspage payload"),
        (b'{"status": {"indicator": "purple"}}', "unknown status indicator 'purple'"),
        (b'{"components": "all good"}', "components"),
        (b"\xff\xfe\x00garbage", "not JSON"),
    ],
)
def test_bad_payloads_raise_a_parse_error_with_a_reason(payload, message, now):
    with pytest.raises(ParseError, match=message):
        statuspage.parse(payload, now)


def test_unknown_component_status_neither_raises_nor_clears(now):
    payload = b'{"status":{"indicator":"minor"},"components":[{"name":"API","status":"on_fire"}]}'
    [obs] = statuspage.parse(payload, now)
    assert obs.components[0].state is State.UNKNOWN
    assert obs.state is State.DEGRADED_PERFORMANCE

"""`ottwatch poll --once --json` as a user runs it: no AWS, JSON on stdout, exit 0 even when sources fail."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from ottwatch.local.fixture_server import FixtureStatusPage

from tests.conftest import GITHUB_OUTAGE

pytestmark = pytest.mark.e2e


def poll(*args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}  # no AWS credentials, no endpoint: none needed
    return subprocess.run([sys.executable, "-m", "ottwatch.cli", "poll", *args], capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.fixture
def page():
    server = FixtureStatusPage(GITHUB_OUTAGE.read_bytes()).start()
    yield server
    server.stop()


def write_catalog(tmp_path, page_url: str):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "services:\n"
        f"  - {{id: github, name: GitHub, sources: [{{kind: statuspage, url: '{page_url}'}}]}}\n"
        "  - {id: dead, name: Dead, sources: [{kind: statuspage, url: 'http://127.0.0.1:9/api/v2/summary.json'}]}\n"
    )
    return catalog


def test_poll_once_json(tmp_path, page):
    result = poll("--catalog", str(write_catalog(tmp_path, page.url)), "--once", "--json", "--allow-loopback")
    assert result.returncode == 0, result.stderr
    services = {s["id"]: s for s in json.loads(result.stdout)["services"]}
    assert services["github"]["state"] == "major_outage" and services["github"]["confidence"] == 0.95
    assert services["github"]["detail"] == "Incident on 2020-04-02 20:20 UTC (investigating)"
    assert services["dead"]["state"] == "unknown" and services["dead"]["confidence"] == 0
    assert services["dead"]["errors"] == ["statuspage: connection refused"]
    assert "source failing: dead/statuspage" in result.stderr  # the reason, on stderr, once


def test_loopback_sources_are_refused_unless_enabled(tmp_path, page):
    result = poll("--catalog", str(write_catalog(tmp_path, page.url)), "--once", "--json")
    assert result.returncode == 0
    github = json.loads(result.stdout)["services"][0]
    assert github["state"] == "unknown"
    assert github["errors"][0].startswith("statuspage: not allowed: loopback address 127.0.0.1")
    assert page.served["200"] == 0


def test_a_bad_catalog_is_refused_with_the_service_and_field(tmp_path):
    catalog = tmp_path / "bad.yaml"
    catalog.write_text("services:\n  - {id: github, name: GitHub, sources: [{kind: statuspag, url: 'https://x.example'}]}\n")
    result = poll("--catalog", str(catalog), "--once", "--json")
    assert result.returncode == 2 and result.stdout == ""
    assert "service 'github': sources[0].kind: unknown kind 'statuspag'" in result.stderr

from __future__ import annotations

import re

import pytest
from ottwatch.catalog import CatalogError, load_catalog, parse_catalog
from ottwatch.config import BUNDLED_CATALOG
from ottwatch.sources.registry import KINDS


def test_bundled_catalog_covers_what_european_customers_use():
    catalog = load_catalog(BUNDLED_CATALOG)
    assert len(catalog.services) >= 40
    assert {"whatsapp", "telegram", "instagram", "netflix", "spotify", "discord", "zoom", "github", "gmail",
            "chatgpt", "dazn"} <= set(catalog.ids)
    categories = {s.category for s in catalog.services}
    assert {"messaging", "social", "streaming", "music", "gaming", "mail_cloud", "video_calls",
            "ai_assistant"} <= categories
    for service in catalog.services:
        assert service.sources, service.id
        assert service.official is not None, f"{service.id}: say whether it has an official source"
        assert any(KINDS[s.kind].signal_class.value == "probe" for s in service.sources), f"{service.id}: no probe"
        for spec in service.sources:
            assert spec.target.startswith("https://") or spec.kind in {"dns_probe", "tcp_probe"}, spec.target
    # Services with no machine-readable status say so: consumer WhatsApp, Telegram, Netflix among them.
    without = {s.id for s in catalog.services if not s.official}
    assert {"whatsapp", "telegram", "netflix", "instagram"} <= without


def test_probes_name_hosts_never_raw_addresses():
    import ipaddress

    for service in load_catalog(BUNDLED_CATALOG).services:
        for spec in service.sources:
            host = getattr(spec, "host", None)
            if host:
                try:
                    ipaddress.ip_address(host)
                except ValueError:
                    continue
                raise AssertionError(f"{service.id}: probe targets the raw address {host}")


@pytest.mark.parametrize("entry, message", [
    ({"official": True, "sources": [{"kind": "http_probe", "url": "https://x.example/"}]},
     "official is true but no machine-readable official source"),
    ({"official": False, "note": "n", "sources": [{"kind": "statuspage", "url": "https://x.example/"}]},
     "official is false but a machine-readable official source is listed"),
    ({"official": False, "sources": [{"kind": "http_probe", "url": "https://x.example/"}]}, "add a note"),
    ({"sources": [{"kind": "google", "url": "https://x.example/"}]}, "sources[0].products"),
    ({"sources": [{"kind": "tcp_probe", "host": "chat.example", "port": 70000}]}, "sources[0].port"),
])
def test_catalog_entries_are_checked_per_kind(entry, message):
    with pytest.raises(CatalogError, match=re.escape(message)):
        parse_catalog({"services": [{"id": "svc", "name": "Svc", **entry}]})


def catalog_with(**source):
    return {"services": [{"id": "ok", "name": "OK", "sources": [{"kind": "statuspage", "url": "https://a.example/x"}]},
                         {"id": "github", "name": "GitHub", "sources": [source]}]}


@pytest.mark.parametrize(
    "raw, message",
    [
        (catalog_with(kind="statuspag", url="https://x.example/"),
         "service 'github': sources[0].kind: unknown kind 'statuspag'; known kinds: statuspage, incidentio, "),
        (catalog_with(kind="statuspage", url="ftp://x.example/"), "service 'github': sources[0].url: not an http(s) URL"),
        (catalog_with(kind="statuspage", url="githubstatus.com"), "service 'github': sources[0].url: not an http(s) URL"),
        (catalog_with(kind="statuspage"), "service 'github': sources[0].url: Field required"),
        ({"services": [{"id": "a", "name": "A"}, {"id": "a", "name": "A again"}]}, "duplicate service id 'a'"),
        ({"services": [{"id": "Git Hub", "name": "GitHub"}]}, "service 'Git Hub': id: String should match pattern"),
        ({"services": [{"id": "x", "name": "X", "colour": "red"}]}, "service 'x': colour: Extra inputs are not permitted"),
        ({"servics": []}, "services: Field required"),
    ],
)
def test_bad_catalog_names_the_service_and_field(raw, message):
    with pytest.raises(CatalogError) as info:
        parse_catalog(raw, origin="my.yaml")
    assert str(info.value).startswith("my.yaml: ")
    assert message in str(info.value)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("services: [\n")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(bad)


def test_source_ids_are_unique_within_a_service():
    catalog = parse_catalog({"services": [{"id": "x", "name": "X", "sources": [
        {"kind": "statuspage", "url": "https://a.example/"},
        {"kind": "statuspage", "url": "https://b.example/"},
        {"kind": "incidentio", "url": "https://c.example/", "id": "compat"}]}]})
    assert catalog.services[0].source_ids() == ["statuspage", "statuspage-2", "compat"]

from __future__ import annotations

import pytest

from ottwatch.catalog import CatalogError, load_catalog, parse_catalog
from ottwatch.config import BUNDLED_CATALOG
from ottwatch.sources.registry import PARSERS


def test_bundled_catalog_loads_and_every_kind_has_a_parser():
    catalog = load_catalog(BUNDLED_CATALOG)
    assert {"discord", "zoom", "dropbox", "reddit", "twitch", "github", "cloudflare", "openai"} <= set(catalog.ids)
    for service in catalog.services:
        assert service.sources, service.id
        for spec in service.sources:
            assert spec.kind in PARSERS
            assert spec.url.startswith("https://")


def catalog_with(**source):
    return {"services": [{"id": "ok", "name": "OK", "sources": [{"kind": "statuspage", "url": "https://a.example/x"}]},
                         {"id": "github", "name": "GitHub", "sources": [source]}]}


@pytest.mark.parametrize(
    "raw, message",
    [
        (catalog_with(kind="statuspag", url="https://x.example/"),
         "service 'github': sources[0].kind: unknown kind 'statuspag'; known kinds: statuspage, incidentio"),
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

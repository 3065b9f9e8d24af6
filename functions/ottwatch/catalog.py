"""The catalog: which services are watched and which sources speak for each. Declarative, validated on load."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ottwatch.domain.models import SignalClass
from ottwatch.sources.registry import KINDS, spec_models

SERVICE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
# A catalog `sources:` entry: the model is chosen by its `kind` (see sources/registry.py).
SourceSpec = Annotated[Union[spec_models()], Field(discriminator="kind")]  # noqa: UP007 - built at run time


class CatalogError(ValueError):
    """The catalog file is unusable. The message names the file, the service and the field."""


class ServiceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=SERVICE_ID_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=80)]
    category: str | None = None
    # Whether the service publishes a machine-readable status (a status API or feed); when false, `note`
    # says what it relies on instead (its own HTML page, probes, crowd reports).
    official: bool | None = None
    note: str | None = None
    sources: tuple[SourceSpec, ...] = ()

    @model_validator(mode="after")
    def _official_flag_matches_sources(self) -> ServiceSpec:
        if self.official is True and not self.has_official_source:
            raise ValueError("official is true but no machine-readable official source (statuspage, google, …) "
                             "is listed")
        if self.official is False and self.has_official_source:
            raise ValueError("official is false but a machine-readable official source is listed")
        if self.official is False and not self.note:
            raise ValueError("official is false: add a note saying why and what the service relies on")
        return self

    @property
    def has_official_source(self) -> bool:
        return any(KINDS[s.kind].signal_class is SignalClass.OFFICIAL and KINDS[s.kind].machine_readable
                   for s in self.sources)

    def source_ids(self) -> list[str]:
        seen: dict[str, int] = {}
        ids = []
        for spec in self.sources:
            base = spec.id or spec.kind
            seen[base] = seen.get(base, 0) + 1
            ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
        return ids


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    services: tuple[ServiceSpec, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalog:
        seen: set[str] = set()
        for service in self.services:
            if service.id in seen:
                raise ValueError(f"duplicate service id {service.id!r}")
            seen.add(service.id)
        return self

    def get(self, service_id: str) -> ServiceSpec | None:
        return next((s for s in self.services if s.id == service_id), None)

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.services]


def load_catalog(path: Path | str) -> Catalog:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from None
    return parse_catalog(raw, origin=str(path))


def parse_catalog(raw: object, origin: str = "catalog") -> Catalog:
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(f"{origin}: {_describe(exc, raw)}") from None


def _describe(exc: ValidationError, raw: object) -> str:
    """Turn pydantic's first error into 'service 'github': sources[0].kind: <reason>'."""
    err = exc.errors()[0]
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p in KINDS)]  # drop the union's tag
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        given = err["input"].get("kind") if isinstance(err["input"], dict) else None
        msg = f"unknown kind {given!r}; known kinds: {', '.join(KINDS)}" if given else "kind: Field required"
        loc.append("kind")
    if len(loc) >= 2 and loc[0] == "services" and isinstance(loc[1], int):
        index = loc[1]
        service_id = None
        services = raw.get("services") if isinstance(raw, dict) else None
        if isinstance(services, list) and index < len(services) and isinstance(services[index], dict):
            service_id = services[index].get("id")
        who = f"service {service_id!r}" if service_id else f"services[{index}]"
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[2:]).lstrip(".")
        return f"{who}: {field or 'entry'}: {msg}"
    return f"{'.'.join(map(str, loc)) or 'top level'}: {msg}"

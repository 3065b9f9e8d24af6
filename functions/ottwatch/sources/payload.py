"""Turning a fetched body into JSON for the parsers, refusing everything malformed with a ParseError.

One place for what every JSON format needs: BOM-aware decoding (AWS serves UTF-16), an optional JSONP
wrapper (Apple), no unpaired surrogate escapes (valid JSON, but such a string could never be stored or
published as UTF-8), no RecursionError from absurd nesting, and one-line reasons.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from ottwatch.sources.errors import ParseError

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_JSONP = re.compile(r"^\s*[A-Za-z_$][\w$.]*\s*\((?P<body>.*)\)\s*;?\s*$", re.DOTALL)


def decode_text(payload: bytes | str) -> str:
    """Bytes to text: UTF-16 when a BOM says so, else UTF-8 (BOM optional)."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        raw = bytes(payload)
        try:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                return raw.decode("utf-16")  # the BOM picks the byte order and is dropped
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(f"not UTF-8 or UTF-16 text ({exc.reason} at byte {exc.start})") from None
    if isinstance(payload, str):
        try:
            payload.encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError("the text holds an unpaired surrogate") from None
        return payload.lstrip("\ufeff")
    raise ParseError(f"payload is {type(payload).__name__}, not text")


def load_json(payload: bytes | str, *, jsonp: bool = False) -> Any:
    """The JSON document in `payload`; with `jsonp`, a `callback(...)` wrapper is accepted and removed."""
    text = decode_text(payload)
    if jsonp and text.lstrip()[:1] not in ("{", "["):
        match = _JSONP.match(text)
        if not match:
            raise ParseError("neither JSON nor a JSONP callback(...) wrapper")
        text = match["body"]
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not JSON: {one_line(exc)}") from None
    except RecursionError:
        raise ParseError("not JSON: nested too deeply") from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(doc)
    return doc


def _refuse_lone_surrogates(doc: Any) -> None:
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError("not JSON: a string holds an unpaired surrogate escape") from None


class Loose(BaseModel):
    """Base of the vendor payload models: unknown keys are ignored, vendors add fields all the time."""

    model_config = ConfigDict(extra="ignore")


def load_object(payload: bytes | str, model: type[BaseModel], what: str, *, jsonp: bool = False) -> Any:
    """`payload` as an instance of `model` (a JSON object), or a ParseError naming `what` and where it broke."""
    doc = load_json(payload, jsonp=jsonp)
    if not isinstance(doc, dict):
        raise ParseError(f"expected a JSON object, got {json_type(doc)}")
    try:
        return model.model_validate(doc)
    except (ValidationError, RecursionError) as exc:
        raise ParseError(f"unexpected {what} payload at {where(exc)}") from None


def load_array(payload: bytes | str, adapter: TypeAdapter, what: str, items: str) -> Any:
    """`payload` validated by `adapter` as a JSON array of `items`, or a ParseError saying where it broke."""
    doc = load_json(payload)
    if not isinstance(doc, list):
        raise ParseError(f"expected a JSON array of {items}, got {json_type(doc)}")
    try:
        return adapter.validate_python(doc)
    except (ValidationError, RecursionError) as exc:
        raise ParseError(f"unexpected {what} payload at {where(exc)}") from None


def json_type(doc: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(doc), "number")


def where(exc: Exception) -> str:
    """Where a payload broke its model, as `loc: reason` (one line)."""
    if not isinstance(exc, ValidationError) or not exc.errors():
        return "top level: nested too deeply"
    first = exc.errors()[0]
    location = ".".join(str(p) for p in first["loc"]) or "top level"
    return one_line(f"{location}: {first['msg']}")


def one_line(value: object) -> str:
    lines = str(value).splitlines()
    return lines[0][:200] if lines else ""


def load_feed(payload: bytes | str) -> Any:
    """An RSS or Atom document parsed by feedparser (imported on first use: only feed kinds need it)."""
    import io

    import feedparser

    data = payload.encode("utf-8", "replace") if isinstance(payload, str) else bytes(payload)
    try:
        # A stream, never the bytes themselves: feedparser treats a bytes/str argument that names a file
        # or a URL as something to open or fetch.
        feed = feedparser.parse(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - feedparser promises not to raise; hold it to that
        raise ParseError(f"unparseable feed: {type(exc).__name__}") from None
    if not feed.get("version"):
        raise ParseError("not an RSS or Atom feed")
    return feed


def feed_time(value: Any) -> datetime | None:
    """feedparser's time.struct_time (always UTC) as an aware datetime; None when absent or absurd."""
    try:
        return datetime(*value[:6], tzinfo=UTC) if value else None
    except (TypeError, ValueError, OverflowError):
        return None


def http_link(value: Any) -> str | None:
    """A vendor-supplied link, kept only when it is a plain http(s) URL of sane length."""
    if isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) < 2000:
        return value
    return None

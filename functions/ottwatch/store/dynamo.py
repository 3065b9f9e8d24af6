"""The DynamoDB StatusRepository: the only module that builds DynamoDB requests.

Items (see DESIGN.md, Storage):
  SVC#<id> / STATUS          current fused status, `version` for optimistic locking
  SVC#<id> / HIST#<ts>#<v>   one per transition (kept 400 days by TTL)
  SVC#<id> / OBS#<source>    what the collector remembers about a source (ETag, last good reading, error)
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from ottwatch.domain.models import Evidence, Observation, ServiceStatus
from ottwatch.domain.transitions import Change, Decision
from ottwatch.store.ports import SourceState, VersionConflict
from ottwatch.store.schema import PK, SK, STATUS_SK, TTL_ATTRIBUTE, service_pk

HISTORY_RETENTION = timedelta(days=400)
_ser = TypeSerializer()
_de = TypeDeserializer()


def to_attrs(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in item.items() if v is not None}


def from_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in attrs.items()}


def status_to_item(status: ServiceStatus) -> dict[str, Any]:
    return {
        PK: service_pk(status.service),
        SK: STATUS_SK,
        "service": status.service,
        "name": status.name,
        "state": status.state.value,
        "previous_state": status.previous_state.value if status.previous_state else None,
        "confidence": Decimal(str(status.confidence)),
        "since": status.since.isoformat(),
        "updated_at": status.updated_at.isoformat(),
        "version": status.version,
        "verdict": status.verdict,
        "country": status.country,
        "evidence": json.dumps([e.model_dump(mode="json") for e in status.evidence], separators=(",", ":")),
    }


def status_from_item(item: dict[str, Any]) -> ServiceStatus:
    return ServiceStatus(
        service=item["service"],
        name=item["name"],
        state=item["state"],
        previous_state=item.get("previous_state"),
        confidence=float(item["confidence"]),
        since=item["since"],
        updated_at=item["updated_at"],
        version=int(item["version"]),
        verdict=item["verdict"],
        country=item.get("country", "*"),
        evidence=tuple(Evidence.model_validate(e) for e in json.loads(item.get("evidence") or "[]")),
    )


class DynamoRepository:
    def __init__(self, table_name: str, client) -> None:
        self.table = table_name
        self.client = client

    # -- statuses -------------------------------------------------------------------------------
    def get_status(self, service: str) -> ServiceStatus | None:
        resp = self.client.get_item(TableName=self.table, Key=to_attrs({PK: service_pk(service), SK: STATUS_SK}))
        return status_from_item(from_attrs(resp["Item"])) if "Item" in resp else None

    def get_statuses(self, services: list[str]) -> dict[str, ServiceStatus]:
        items = self._batch_get([{PK: service_pk(s), SK: STATUS_SK} for s in services])
        return {i["service"]: status_from_item(i) for i in items}

    def apply(self, decision: Decision) -> None:
        if decision.change is Change.NONE:
            return
        status = decision.status
        previous_state = status.previous_state.value if status.previous_state else None
        put = {
            "TableName": self.table,
            "Item": to_attrs(status_to_item(status)),
            **self._version_condition(decision.seen_version),
        }
        try:
            if decision.change is Change.REFRESH:
                self.client.put_item(**put)
                return
            history = {
                PK: service_pk(status.service),
                SK: f"HIST#{status.since.isoformat()}#{status.version:010d}",
                "service": status.service,
                "state": status.state.value,
                "previous_state": previous_state,
                "version": status.version,
                "at": status.since.isoformat(),
                "confidence": Decimal(str(status.confidence)),
                TTL_ATTRIBUTE: int((status.since + HISTORY_RETENTION).timestamp()),
            }
            self.client.transact_write_items(
                TransactItems=[{"Put": put}, {"Put": {"TableName": self.table, "Item": to_attrs(history)}}]
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in {"ConditionalCheckFailedException", "TransactionCanceledException"}:
                raise VersionConflict(status.service) from None
            raise

    def history(self, service: str, limit: int = 50) -> list[dict]:
        resp = self.client.query(
            TableName=self.table,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :hist)",
            ExpressionAttributeNames={"#pk": PK, "#sk": SK},
            ExpressionAttributeValues=to_attrs({":pk": service_pk(service), ":hist": "HIST#"}),
            ScanIndexForward=False,
            Limit=limit,
        )
        now = datetime.now().timestamp()
        # moto (and DynamoDB, for up to two days) keeps expired items: filter them on read.
        items = [from_attrs(i) for i in resp["Items"]]
        return [_plain(i) for i in items if int(i.get(TTL_ATTRIBUTE, now + 1)) > now]

    # -- sources --------------------------------------------------------------------------------
    def get_source_states(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], SourceState]:
        items = self._batch_get([{PK: service_pk(svc), SK: f"OBS#{src}"} for svc, src in keys])
        out = {}
        for i in items:
            last_good = Observation.model_validate_json(i["last_good"]) if i.get("last_good") else None
            state = SourceState(
                service=i["service"], source=i["source"], url=i["url"], etag=i.get("etag"),
                last_modified=i.get("last_modified"), last_good=last_good, last_error=i.get("last_error"),
                fetched_at=datetime.fromisoformat(i["fetched_at"]) if i.get("fetched_at") else None,
            )
            out[(state.service, state.source)] = state
        return out

    def put_source_states(self, states: list[SourceState]) -> None:
        requests = [
            {"PutRequest": {"Item": to_attrs({
                PK: service_pk(s.service), SK: f"OBS#{s.source}", "service": s.service, "source": s.source,
                "url": s.url, "etag": s.etag, "last_modified": s.last_modified,
                "last_good": s.last_good.model_dump_json() if s.last_good else None,
                "last_error": s.last_error, "fetched_at": s.fetched_at.isoformat() if s.fetched_at else None,
            })}}
            for s in states
        ]
        for start in range(0, len(requests), 25):
            pending = {self.table: requests[start : start + 25]}
            for _ in range(5):
                resp = self.client.batch_write_item(RequestItems=pending)
                pending = resp.get("UnprocessedItems") or {}
                if not pending:
                    break
            else:
                raise RuntimeError(f"DynamoDB left {len(pending[self.table])} source states unwritten")

    # -- helpers --------------------------------------------------------------------------------
    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            pending = {self.table: {"Keys": [to_attrs(k) for k in keys[start : start + 100]]}}
            for _ in range(5):
                resp = self.client.batch_get_item(RequestItems=pending)
                found += [from_attrs(i) for i in resp["Responses"].get(self.table, [])]
                pending = resp.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise RuntimeError("DynamoDB left keys unread after 5 attempts")
        return found

    @staticmethod
    def _version_condition(seen_version: int) -> dict[str, Any]:
        if seen_version == 0:
            return {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PK}}
        return {
            "ConditionExpression": "#v = :seen",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": to_attrs({":seen": seen_version}),
        }


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: (float(v) if isinstance(v, Decimal) and k == "confidence" else int(v) if isinstance(v, Decimal) else v)
            for k, v in item.items() if k not in {PK, SK, TTL_ATTRIBUTE}}

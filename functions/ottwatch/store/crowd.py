"""DynamoDB access for crowd signals: report counters, detector state, operator volumes.

  RPT#<service>#<country> / B#<window>#<shard>   counters: raw and per-problem counts (ADD), one string set
                                                 of reporter hashes per network (ADD: set union = dedup)
  RPT#<service>#<country> / OPV#<interval>#<channel>   the operator's own call or ticket count
  RPT#<service>#<country> / DET#<signal>         the detector's state between runs (versioned)

Every counter write is an ADD, so concurrent ingest batches never conflict and a retried batch never
double-counts reporters (set union is idempotent; only `raw` can grow on a retry, and nothing decides on it).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ottwatch.domain.reports import NETWORK_CAP, ReportGroup, WindowCount
from ottwatch.store.dynamo import from_attrs, to_attrs
from ottwatch.store.ports import VersionConflict
from ottwatch.store.schema import PK, SK, TTL_ATTRIBUTE

COUNTER_RETENTION = timedelta(days=8)
OPERATOR_RETENTION = timedelta(days=35)
# UpdateExpression is capped at 4 KB: at ~20 characters a network, this many per update.
NETWORKS_PER_UPDATE = 100


def crowd_pk(service: str, country: str) -> str:
    return f"RPT#{service}#{country}"


class CrowdRepository:
    def __init__(self, table_name: str, client) -> None:
        self.table = table_name
        self.client = client

    # -- reports --------------------------------------------------------------------------------
    def add_reports(self, group: ReportGroup) -> int:
        """Apply one group; returns the number of write requests it took."""
        networks = sorted(group.networks.items())
        chunks = [networks[i : i + NETWORKS_PER_UPDATE] for i in range(0, len(networks), NETWORKS_PER_UPDATE)] or [[]]
        for index, chunk in enumerate(chunks):
            names = {"#ttl": TTL_ATTRIBUTE, "#raw": "raw", "#svc": "service", "#cty": "country", "#bkt": "bucket"}
            values: dict[str, Any] = {
                ":ttl": int((group.bucket + COUNTER_RETENTION).timestamp()),
                ":svc": group.service, ":cty": group.country, ":bkt": group.bucket.isoformat(),
            }
            adds = []
            if index == 0:  # counts once per group, whatever the number of chunks
                adds.append("#raw :raw")
                values[":raw"] = group.raw
                for i, (problem, count) in enumerate(sorted(group.problems.items())):
                    names[f"#p{i}"] = f"p_{problem}"
                    values[f":p{i}"] = count
                    adds.append(f"#p{i} :p{i}")
            for i, (network, reporters) in enumerate(chunk):
                names[f"#n{i}"] = f"n_{network}"
                values[f":n{i}"] = set(reporters)
                adds.append(f"#n{i} :n{i}")
            self.client.update_item(
                TableName=self.table,
                Key=to_attrs({PK: crowd_pk(group.service, group.country),
                              SK: f"B#{group.bucket.isoformat()}#{group.shard:02d}"}),
                UpdateExpression="SET #ttl = :ttl, #svc = :svc, #cty = :cty, #bkt = :bkt ADD " + ", ".join(adds),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_attrs(values),
            )
        return len(chunks)

    def windows(self, service: str, country: str, start: datetime, end: datetime) -> dict[datetime, WindowCount]:
        """Counts per window for start <= window <= end, from every shard, expired items left out."""
        items = self._query(crowd_pk(service, country), f"B#{start.isoformat()}", f"B#{end.isoformat()}#~")
        now = datetime.now().timestamp()
        totals: dict[datetime, dict] = {}
        for item in items:
            if int(item.get(TTL_ATTRIBUTE, now + 1)) <= now:
                continue  # moto never expires TTL items, DynamoDB takes up to two days
            bucket = datetime.fromisoformat(item["bucket"])
            total = totals.setdefault(bucket, {"reporters": 0, "raw": 0, "problems": {}})
            total["raw"] += int(item.get("raw", 0))
            for key, value in item.items():
                if key.startswith("n_"):
                    total["reporters"] += min(len(value), NETWORK_CAP)
                elif key.startswith("p_"):
                    total["problems"][key[2:]] = total["problems"].get(key[2:], 0) + int(value)
        return {b: WindowCount(bucket=b, **t) for b, t in sorted(totals.items())}

    # -- operator volumes -----------------------------------------------------------------------
    def put_operator_volume(self, service: str, country: str, interval: datetime, minutes: int, channel: str,
                            count: int, pushed_at: datetime) -> None:
        """Idempotent: pushing the same interval again replaces the count (operators correct their figures)."""
        self.client.put_item(TableName=self.table, Item=to_attrs({
            PK: crowd_pk(service, country), SK: f"OPV#{interval.isoformat()}#{channel}",
            "interval": interval.isoformat(), "minutes": minutes, "channel": channel, "count": count,
            "pushed_at": pushed_at.isoformat(),
            TTL_ATTRIBUTE: int((interval + OPERATOR_RETENTION).timestamp()),
        }))

    def operator_volumes(self, service: str, country: str, start: datetime, end: datetime) -> dict[datetime, int]:
        items = self._query(crowd_pk(service, country), f"OPV#{start.isoformat()}", f"OPV#{end.isoformat()}#~")
        totals: dict[datetime, int] = {}
        for item in items:
            interval = datetime.fromisoformat(item["interval"])
            totals[interval] = totals.get(interval, 0) + int(item["count"])
        return dict(sorted(totals.items()))

    # -- detector state -------------------------------------------------------------------------
    def get_detector(self, service: str, country: str, signal: str) -> tuple[dict | None, datetime | None, int]:
        resp = self.client.get_item(TableName=self.table, Key=to_attrs({PK: crowd_pk(service, country),
                                                                          SK: f"DET#{signal}"}))
        if "Item" not in resp:
            return None, None, 0
        item = from_attrs(resp["Item"])
        last = datetime.fromisoformat(item["last_window"]) if item.get("last_window") else None
        return json.loads(item["state"]), last, int(item["version"])

    def put_detector(self, service: str, country: str, signal: str, state: dict, last_window: datetime,
                     seen_version: int) -> None:
        condition = ({"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PK}}
                     if seen_version == 0 else
                     {"ConditionExpression": "#v = :seen", "ExpressionAttributeNames": {"#v": "version"},
                      "ExpressionAttributeValues": to_attrs({":seen": seen_version})})
        try:
            self.client.put_item(TableName=self.table, Item=to_attrs({
                PK: crowd_pk(service, country), SK: f"DET#{signal}", "state": json.dumps(state, separators=(",", ":")),
                "last_window": last_window.isoformat(), "version": seen_version + 1}), **condition)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise VersionConflict(f"{service}/{country}/{signal}") from None
            raise

    def _query(self, pk: str, low: str, high: str) -> list[dict]:
        items, start = [], None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            resp = self.client.query(
                TableName=self.table,
                KeyConditionExpression="#pk = :pk AND #sk BETWEEN :lo AND :hi",
                ExpressionAttributeNames={"#pk": PK, "#sk": SK},
                ExpressionAttributeValues=to_attrs({":pk": pk, ":lo": low, ":hi": high}),
                **kwargs,
            )
            items += [from_attrs(i) for i in resp["Items"]]
            start = resp.get("LastEvaluatedKey")
            if not start:
                return items

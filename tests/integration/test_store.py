"""The DynamoDB repository: versioned writes, history, races, expired items."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from ottwatch.domain.fusion import fuse
from ottwatch.domain.models import Observation
from ottwatch.domain.status import State
from ottwatch.domain.transitions import Change, decide
from ottwatch.store.dynamo import DynamoRepository, to_attrs
from ottwatch.store.ports import VersionConflict
from ottwatch.store.schema import TTL_ATTRIBUTE


def status(state, now, previous=None):
    obs = Observation(service="github", source="statuspage", state=state, observed_at=now)
    return fuse("github", "GitHub", [obs], now, previous=previous)


def test_transitions_are_versioned_and_recorded_in_history(aws_stack, now):
    repo = aws_stack.repo
    repo.apply(decide(status(State.OPERATIONAL, now), None))
    first = repo.get_status("github")
    assert (first.state, first.version, first.previous_state) == (State.OPERATIONAL, 1, None)

    later = now + timedelta(minutes=1)
    repo.apply(decide(status(State.MAJOR_OUTAGE, later, first), first))
    second = repo.get_status("github")
    assert (second.state, second.version, second.previous_state) == (State.MAJOR_OUTAGE, 2, State.OPERATIONAL)
    assert second.since == later
    assert [(h["version"], h["state"], h.get("previous_state")) for h in repo.history("github")] == [
        (2, "major_outage", "operational"), (1, "operational", None)]


def test_refresh_keeps_version_and_previous_state(aws_stack, now):
    repo = aws_stack.repo
    repo.apply(decide(status(State.OPERATIONAL, now), None))
    outage = now + timedelta(minutes=1)
    repo.apply(decide(status(State.MAJOR_OUTAGE, outage, repo.get_status("github")), repo.get_status("github")))
    held = now + timedelta(minutes=10)
    previous = repo.get_status("github")
    decision = decide(status(State.MAJOR_OUTAGE, held, previous), previous)
    assert decision.change is Change.REFRESH
    repo.apply(decision)
    stored = repo.get_status("github")
    assert (stored.version, stored.previous_state, stored.since, stored.updated_at) == (
        2, State.OPERATIONAL, outage, held)
    assert len(repo.history("github")) == 2


def test_a_stale_version_is_refused(aws_stack, now):
    repo = aws_stack.repo
    repo.apply(decide(status(State.OPERATIONAL, now), None))
    with pytest.raises(VersionConflict):
        repo.apply(decide(status(State.MAJOR_OUTAGE, now), None))  # believes the item does not exist yet


def test_two_collectors_racing_record_exactly_one_transition(aws_stack, now):
    repo = aws_stack.repo
    repo.apply(decide(status(State.OPERATIONAL, now), None))
    seen = repo.get_status("github")
    later = now + timedelta(minutes=1)
    barrier = threading.Barrier(8)
    outcomes = []
    # Each racer has its own client, as separate Lambda invocations would (made here: creating boto3
    # clients from several threads at once is not thread-safe).
    import boto3

    racers = [DynamoRepository(repo.table, boto3.session.Session().client("dynamodb")) for _ in range(8)]

    def collector(own: DynamoRepository):
        decision = decide(status(State.MAJOR_OUTAGE, later, seen), seen)
        barrier.wait()
        try:
            own.apply(decision)
            outcomes.append("won")
        except VersionConflict:
            outcomes.append("lost")
        except Exception as exc:  # noqa: BLE001 - shown in the assertion below, not lost in a thread
            outcomes.append(f"error: {exc!r}")

    threads = [threading.Thread(target=collector, args=(own,)) for own in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    assert repo.get_status("github").version == 2
    assert [h["version"] for h in repo.history("github")] == [2, 1]


def test_expired_history_items_are_filtered_on_read(aws_stack, now):
    repo = aws_stack.repo
    repo.apply(decide(status(State.OPERATIONAL, now), None))
    # moto never deletes TTL-expired items (DynamoDB takes up to two days): plant one.
    repo.client.put_item(TableName=repo.table, Item=to_attrs({
        "pk": "SVC#github", "sk": "HIST#2001-01-01T00:00:00+00:00#0000000000", "version": 0, "state": "major_outage",
        TTL_ATTRIBUTE: 978307200}))
    assert [h["version"] for h in repo.history("github")] == [1]

"""What a new fused status means for storage: a transition (new version), a refresh, or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from ottwatch.domain.models import ServiceStatus

# Even when nothing changed, rewrite the status this often so `updated_at` tells readers it is alive.
HEARTBEAT = timedelta(minutes=5)


class Change(StrEnum):
    TRANSITION = "transition"
    REFRESH = "refresh"
    NONE = "none"


@dataclass(frozen=True)
class Decision:
    change: Change
    status: ServiceStatus  # with the version it must be stored under
    seen_version: int  # the version the write is conditioned on (0: the item must not exist yet)
    previous: ServiceStatus | None


def decide(new: ServiceStatus, previous: ServiceStatus | None, heartbeat: timedelta = HEARTBEAT) -> Decision:
    seen = previous.version if previous else 0
    if previous is None or new.state != previous.state:
        return Decision(Change.TRANSITION, new.model_copy(update={"version": seen + 1}), seen, previous)
    stored = new.model_copy(update={"version": seen})
    if not new.same_assessment(previous) or new.updated_at - previous.updated_at >= heartbeat:
        return Decision(Change.REFRESH, stored, seen, previous)
    return Decision(Change.NONE, previous, seen, previous)

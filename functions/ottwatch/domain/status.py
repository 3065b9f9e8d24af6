"""The status vocabulary (Statuspage's, so existing tools understand it) and its order."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    # No fresh evidence. Never shown as operational; ranks below every known state so it never wins
    # over real evidence, and has severity -1 so numeric SNS filters (>= 2, say) skip it.
    UNKNOWN = "unknown"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def is_known(self) -> bool:
        return self is not State.UNKNOWN

    @property
    def is_provider_fault(self) -> bool:
        """Degraded or worse: the service itself is failing (maintenance is planned, not a fault)."""
        return self.severity >= State.DEGRADED_PERFORMANCE.severity


_SEVERITY = {
    State.UNKNOWN: -1,
    State.OPERATIONAL: 0,
    State.UNDER_MAINTENANCE: 1,
    State.DEGRADED_PERFORMANCE: 2,
    State.PARTIAL_OUTAGE: 3,
    State.MAJOR_OUTAGE: 4,
}


def worst(states: list[State] | tuple[State, ...]) -> State:
    """The most severe of `states`; UNKNOWN only when nothing else is there."""
    return max(states, key=lambda s: s.severity, default=State.UNKNOWN)

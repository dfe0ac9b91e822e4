"""Pure SLA arithmetic: deadlines, clock states, the at-risk threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.config import DEFAULT_SLA_POLICY
from backend.workorders.sla import SlaState, clock_state, deadlines, ticket_state

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_default_policy_deadlines():
    assert deadlines("P1", T0, DEFAULT_SLA_POLICY) == (
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=4),
    )
    assert deadlines("P4", T0, DEFAULT_SLA_POLICY) == (
        T0 + timedelta(hours=24),
        T0 + timedelta(hours=72),
    )


def test_clock_thresholds():
    end = T0 + timedelta(hours=4)
    assert clock_state(T0 + timedelta(hours=2, minutes=59), T0, end, None) == SlaState.OK
    assert clock_state(T0 + timedelta(hours=3), T0, end, None) == SlaState.AT_RISK
    assert clock_state(end, T0, end, None) == SlaState.AT_RISK
    assert clock_state(end + timedelta(seconds=1), T0, end, None) == SlaState.BREACHED
    assert clock_state(end + timedelta(days=1), T0, end, end) == SlaState.MET
    assert clock_state(T0, T0, end, end + timedelta(seconds=1)) == SlaState.BREACHED


def test_ticket_state_is_worse_clock_and_responding_stops_respond_clock():
    respond_by, resolve_by = deadlines("P1", T0, DEFAULT_SLA_POLICY)
    late = T0 + timedelta(hours=2)  # respond window (1 h) over, resolve window (4 h) half used
    assert ticket_state(late, T0, respond_by, resolve_by, None, None) == SlaState.BREACHED
    accepted = T0 + timedelta(minutes=30)
    assert ticket_state(late, T0, respond_by, resolve_by, accepted, None) == SlaState.OK
    assert ticket_state(late, T0, respond_by, resolve_by, accepted, late) == SlaState.MET


@settings(max_examples=200, deadline=None)
@given(
    window_min=st.integers(1, 10_000),
    used_min=st.integers(0, 20_000),
    fraction=st.floats(0.05, 0.95),
)
def test_clock_state_monotone_in_time(window_min, used_min, fraction):
    """Without the clock stopping, the state never improves as time passes."""
    rank = {SlaState.OK: 0, SlaState.AT_RISK: 1, SlaState.BREACHED: 2}
    end = T0 + timedelta(minutes=window_min)
    now = T0 + timedelta(minutes=used_min)
    a = clock_state(now, T0, end, None, fraction)
    b = clock_state(now + timedelta(minutes=1), T0, end, None, fraction)
    assert rank[b] >= rank[a]
    expected_breach = used_min > window_min
    assert (a == SlaState.BREACHED) == expected_breach

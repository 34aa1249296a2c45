from __future__ import annotations

import pytest
from respond_helpers import FRAME, make_case, unit

from dronewall.respond import (
    SIMULATED_OPERATOR,
    DecisionBook,
    DecisionState,
    EngagementAdvisor,
    EngagementError,
    SimulatedOperator,
)
from dronewall.world import OperatorPolicy, RulesOfEngagement

QUAD_IN = [[2500.0, 0.0, 150.0, -12.0, 0.0, 0.0]]


def setup(policy: OperatorPolicy):
    adv = EngagementAdvisor([unit("int-1", "interceptor-drone")], FRAME, RulesOfEngagement())
    tracks, a = make_case(QUAD_IN, t=100.0)
    (rec,) = adv.recommend(100.0, tracks, a)
    book = DecisionBook()
    book.propose(rec)
    return adv, book, rec, SimulatedOperator(policy)


def test_full_workflow_with_the_simulated_operator() -> None:
    adv, book, rec, op = setup(OperatorPolicy(approve_delay_s=20.0, proposal_ttl_s=60.0))
    assert op.decide(119.0, book, {0}) == []  # not yet
    (r,) = op.decide(120.0, book, {0})
    assert r.state == DecisionState.APPROVED
    assert r.who == SIMULATED_OPERATOR
    assert "policy" in r.why
    eng = adv.commit(rec, 120.0)
    book.execute(eng)
    book.assess(
        rec.id, eng.t_effect + 2.0, "killed", "sensor-kill-assessment", "track lost at intercept"
    )
    states = [x.state for x in book.records_of(rec.id)]
    assert states == [
        DecisionState.PROPOSED,
        DecisionState.APPROVED,
        DecisionState.EXECUTED,
        DecisionState.ASSESSED,
    ]
    final = book.records_of(rec.id)[-1]
    assert final.outcome == "killed"
    assert final.engagement_id == eng.id
    assert all(x.who and x.why for x in book.history)
    assert op.decide(200.0, book, {0}) == []  # nothing left to answer


def test_proposal_expires_when_the_track_is_gone_or_the_ttl_passes() -> None:
    _, book, rec, op = setup(OperatorPolicy(approve_delay_s=20.0, proposal_ttl_s=60.0))
    (r,) = op.decide(110.0, book, set())
    assert r.state == DecisionState.EXPIRED
    assert "no longer exists" in r.why
    _, book, rec, op = setup(OperatorPolicy(approve_delay_s=90.0, proposal_ttl_s=60.0))
    (r,) = op.decide(161.0, book, {0})
    assert r.state == DecisionState.EXPIRED
    assert book.state_of(rec.id) == DecisionState.EXPIRED


def test_policy_that_does_not_approve_rejects() -> None:
    _, book, _rec, op = setup(OperatorPolicy(approve=False))
    (r,) = op.decide(125.0, book, {0})
    assert r.state == DecisionState.REJECTED
    assert r.who == SIMULATED_OPERATOR


def test_transitions_the_workflow_does_not_allow_are_refused() -> None:
    _, book, rec, _ = setup(OperatorPolicy())
    with pytest.raises(EngagementError):
        book.assess(rec.id, 130.0, "killed", "x", "y")  # not executed
    book.reject(rec.id, 121.0, "duty officer", "friendly helicopter reported in the area")
    with pytest.raises(EngagementError):
        book.approve(rec.id, 122.0, "duty officer", "changed my mind")  # final state
    with pytest.raises(EngagementError):
        book.propose(rec)  # same id twice
    _, book2, rec2, _ = setup(OperatorPolicy())
    with pytest.raises(EngagementError):
        book2.approve(rec2.id, 121.0, "", "no name")  # every decision names who

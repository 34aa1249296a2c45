"""The engagement decision workflow: who decided what, when and why.

Every proposal (:class:`~dronewall.respond.engagement.Recommendation`) moves through::

    proposed ─┬─> approved ──> executed ──> assessed
              ├─> rejected
              └─> expired

Each transition is a :class:`DecisionRecord` (frozen: state, time, who, why) appended to the
:class:`DecisionBook`, which refuses transitions the diagram does not allow. In a live deployment a
person approves; in simulation :class:`SimulatedOperator` applies a stated
:class:`~dronewall.world.deployment.OperatorPolicy` and says so in every record it writes.

Data layout: records are small frozen dataclasses, a handful per engagement; no arrays here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from dronewall.respond.engagement import Engagement, EngagementError, Recommendation
from dronewall.world.deployment import OperatorPolicy


class DecisionState(StrEnum):
    """States of a proposal."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    EXECUTED = "executed"
    ASSESSED = "assessed"


#: Allowed transitions.
TRANSITIONS: dict[DecisionState, frozenset[DecisionState]] = {
    DecisionState.PROPOSED: frozenset(
        {DecisionState.APPROVED, DecisionState.REJECTED, DecisionState.EXPIRED}
    ),
    DecisionState.APPROVED: frozenset({DecisionState.EXECUTED, DecisionState.EXPIRED}),
    DecisionState.EXECUTED: frozenset({DecisionState.ASSESSED}),
    DecisionState.REJECTED: frozenset(),
    DecisionState.EXPIRED: frozenset(),
    DecisionState.ASSESSED: frozenset(),
}

#: Who the simulated operator signs as.
SIMULATED_OPERATOR = "simulated-operator (policy)"


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    """One step of one proposal's life.

    Attributes
    ----------
    recommendation_id : str
        The proposal.
    state : DecisionState
        The state entered.
    t : float
        When, UTC epoch s.
    who : str
        The person, system or policy that made the step.
    why : str
        Plain words.
    engagement_id : str
        The engagement, from EXECUTED on; ``""`` before.
    outcome : str
        For ASSESSED: ``"killed"``, ``"missed"`` or ``"unknown"``; ``""`` otherwise.
    """

    recommendation_id: str
    state: DecisionState
    t: float
    who: str
    why: str
    engagement_id: str = ""
    outcome: str = ""


class DecisionBook:
    """The record of every proposal and its decisions, in the order they happened."""

    def __init__(self) -> None:
        self._recs: dict[str, Recommendation] = {}
        self._state: dict[str, DecisionState] = {}
        self._history: list[DecisionRecord] = []

    @property
    def history(self) -> tuple[DecisionRecord, ...]:
        """Every record, oldest first."""
        return tuple(self._history)

    def recommendation(self, recommendation_id: str) -> Recommendation:
        """The proposal with this id."""
        return self._recs[recommendation_id]

    def state_of(self, recommendation_id: str) -> DecisionState:
        """Current state of a proposal."""
        return self._state[recommendation_id]

    def records_of(self, recommendation_id: str) -> tuple[DecisionRecord, ...]:
        """The life of one proposal, oldest first."""
        return tuple(r for r in self._history if r.recommendation_id == recommendation_id)

    def in_state(self, state: DecisionState) -> tuple[Recommendation, ...]:
        """Proposals currently in ``state``, in proposal order."""
        return tuple(self._recs[k] for k, s in self._state.items() if s is state)

    def propose(self, rec: Recommendation, who: str = "engagement-advisor") -> DecisionRecord:
        """Enter a new proposal."""
        if rec.id in self._recs:
            raise EngagementError("proposal already recorded", field="id", actual=rec.id)
        self._recs[rec.id] = rec
        self._state[rec.id] = DecisionState.PROPOSED
        record = DecisionRecord(
            recommendation_id=rec.id, state=DecisionState.PROPOSED, t=rec.t, who=who, why=rec.reason
        )
        self._history.append(record)
        return record

    def _move(
        self,
        recommendation_id: str,
        state: DecisionState,
        t: float,
        who: str,
        why: str,
        engagement_id: str = "",
        outcome: str = "",
    ) -> DecisionRecord:
        current = self._state.get(recommendation_id)
        if current is None:
            raise EngagementError("unknown proposal", field="id", actual=recommendation_id)
        if state not in TRANSITIONS[current]:
            raise EngagementError(
                "transition not allowed",
                field="state",
                expected=" or ".join(sorted(TRANSITIONS[current])) or "none (final state)",
                actual=f"{current} -> {state}",
            )
        if not who.strip() or not why.strip():
            raise EngagementError("every decision needs a who and a why", field="who")
        self._state[recommendation_id] = state
        record = DecisionRecord(
            recommendation_id=recommendation_id,
            state=state,
            t=t,
            who=who,
            why=why,
            engagement_id=engagement_id,
            outcome=outcome,
        )
        self._history.append(record)
        return record

    def approve(self, recommendation_id: str, t: float, who: str, why: str) -> DecisionRecord:
        """A person (or the stated policy) approves a proposal."""
        return self._move(recommendation_id, DecisionState.APPROVED, t, who, why)

    def reject(self, recommendation_id: str, t: float, who: str, why: str) -> DecisionRecord:
        """A person (or the stated policy) rejects a proposal."""
        return self._move(recommendation_id, DecisionState.REJECTED, t, who, why)

    def expire(
        self, recommendation_id: str, t: float, why: str, who: str = "system"
    ) -> DecisionRecord:
        """A proposal (or an approval not yet executed) lapses."""
        return self._move(recommendation_id, DecisionState.EXPIRED, t, who, why)

    def execute(self, engagement: Engagement, who: str = "fire-unit") -> DecisionRecord:
        """An approved proposal was committed to its fire unit."""
        return self._move(
            engagement.recommendation_id,
            DecisionState.EXECUTED,
            engagement.t_approved,
            who,
            f"{engagement.effector_id} from {engagement.fire_unit_id}, effect due at "
            f"t={engagement.t_effect:.1f}",
            engagement_id=engagement.id,
        )

    def assess(
        self, recommendation_id: str, t: float, outcome: str, who: str, why: str
    ) -> DecisionRecord:
        """Record the kill assessment of an executed engagement."""
        if outcome not in {"killed", "missed", "unknown"}:
            raise EngagementError(
                "unknown outcome",
                field="outcome",
                expected="killed, missed or unknown",
                actual=outcome,
            )
        engagement_id = next(
            (
                r.engagement_id
                for r in reversed(self._history)
                if r.recommendation_id == recommendation_id and r.engagement_id
            ),
            "",
        )
        return self._move(
            recommendation_id, DecisionState.ASSESSED, t, who, why, engagement_id, outcome
        )


class SimulatedOperator:
    """Answers proposals by a stated policy, in place of a person (simulation only).

    A proposal is approved ``approve_delay_s`` after it was proposed if it is still valid: not
    older than ``proposal_ttl_s`` and its track still exists. With ``policy.approve`` False it is
    rejected at that time instead. Proposals whose track is gone, or left unanswered beyond the
    time to live, are expired. Every record is signed :data:`SIMULATED_OPERATOR`.

    Parameters
    ----------
    policy : OperatorPolicy
        Delay, time to live and whether to approve.
    """

    def __init__(self, policy: OperatorPolicy) -> None:
        self.policy = policy

    def decide(
        self, t: float, book: DecisionBook, live_track_ids: Collection[int]
    ) -> list[DecisionRecord]:
        """Answer every proposal due at ``t``.

        Parameters
        ----------
        t : float
            Now, UTC epoch s.
        book : DecisionBook
            Where the proposals and decisions are kept.
        live_track_ids : Collection[int]
            Ids of the tracks that exist at ``t``.

        Returns
        -------
        list[DecisionRecord]
            The records written now (APPROVED, REJECTED or EXPIRED).
        """
        p = self.policy
        live = set(live_track_ids)
        out = []
        for rec in book.in_state(DecisionState.PROPOSED):
            age = t - rec.t
            if rec.track_id not in live:
                out.append(
                    book.expire(
                        rec.id, t, f"track {rec.track_id} no longer exists", SIMULATED_OPERATOR
                    )
                )
            elif age > p.proposal_ttl_s:
                out.append(
                    book.expire(
                        rec.id,
                        t,
                        f"not answered within {p.proposal_ttl_s:.0f} s",
                        SIMULATED_OPERATOR,
                    )
                )
            elif age >= p.approve_delay_s:
                if p.approve:
                    why = (
                        f"policy: approve valid proposals after {p.approve_delay_s:.0f} s; "
                        f"track {rec.track_id} still exists, proposal {age:.0f} s old"
                    )
                    out.append(book.approve(rec.id, t, SIMULATED_OPERATOR, why))
                else:
                    out.append(
                        book.reject(rec.id, t, SIMULATED_OPERATOR, "policy: approve is false")
                    )
        return out

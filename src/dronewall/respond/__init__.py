"""Respond stage: engagement proposals, the decision workflow, and simulated outcomes.

Decision support only: :class:`EngagementAdvisor` proposes, a person (in simulation the stated
policy of :class:`SimulatedOperator`) approves, and :func:`enforce_hard_rule` guarantees that
nothing is ever proposed against civil, cooperative or friendly traffic.
"""

from dronewall.respond.decision import (
    SIMULATED_OPERATOR,
    DecisionBook,
    DecisionRecord,
    DecisionState,
    SimulatedOperator,
)
from dronewall.respond.engagement import (
    ENGAGEABLE_IDENTITIES,
    Alternative,
    Deferral,
    Engagement,
    EngagementAdvisor,
    EngagementConfig,
    EngagementError,
    Feasibility,
    FireUnitState,
    Recommendation,
    enforce_hard_rule,
    engagement_pk,
)
from dronewall.respond.wta import WtaProblem, WtaSolution, solve_wta

__all__ = [
    "ENGAGEABLE_IDENTITIES",
    "SIMULATED_OPERATOR",
    "Alternative",
    "DecisionBook",
    "DecisionRecord",
    "DecisionState",
    "Deferral",
    "Engagement",
    "EngagementAdvisor",
    "EngagementConfig",
    "EngagementError",
    "Feasibility",
    "FireUnitState",
    "Recommendation",
    "SimulatedOperator",
    "WtaProblem",
    "WtaSolution",
    "enforce_hard_rule",
    "engagement_pk",
    "solve_wta",
]

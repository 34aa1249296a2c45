"""One run end to end: the tick loop wiring every stage, scoring against truth, atomic output."""

from dronewall.pipeline.evaluation import EvaluationConfig, RunEvaluator
from dronewall.pipeline.output import atomic_directory
from dronewall.pipeline.run import RunResult, run_scenario, simulate

__all__ = [
    "EvaluationConfig",
    "RunEvaluator",
    "RunResult",
    "atomic_directory",
    "run_scenario",
    "simulate",
]

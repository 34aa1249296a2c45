"""The simulated referee's outcome draw: common random numbers over doctrines.

The ``n``-th shot to land on a truth object sees one uniform for a given seed, whatever else the
run fired before it; the draws are uniform over objects and shots, and differ between seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from dronewall.picture import EventStore
from dronewall.pipeline.session import CAPTURE_RADIUS_M, RunSession
from dronewall.sim import load_scenario
from dronewall.world import load_world

SCENARIO = "eastern-flank-raid"


@pytest.fixture
def referee_of(tmp_path: Path) -> Iterator[Callable[[int], Any]]:
    """Make the referee of a fresh run of the scenario for a seed."""
    world = load_world()
    scenario = load_scenario(SCENARIO, world)
    stores: list[EventStore] = []

    def make(seed: int) -> Any:
        stores.append(EventStore.open(tmp_path / f"events-{len(stores)}.sqlite"))
        return RunSession(scenario, world, seed=seed, store=stores[-1]).referee

    yield make
    for store in stores:
        store.close()


def test_a_shot_meets_the_same_luck_whatever_was_fired_before(
    referee_of: Callable[[int], Any],
) -> None:
    a, b = referee_of(3), referee_of(3)
    n_obj = len(a.sim.truth.ids)
    assert n_obj >= 6
    # Run a: objects 0..5 each shot once, then object 5 again; run b: object 5 first, twice.
    first_a = [a.outcome_draw(i) for i in range(6)]
    second_a = a.outcome_draw(5)
    first_b, second_b = b.outcome_draw(5), b.outcome_draw(5)
    assert first_b == first_a[5]
    assert second_b == second_a
    assert first_b != second_b  # the second shot is a fresh draw
    assert a.shots[5] == b.shots[5] == 2
    assert a.shots[:5].tolist() == [1] * 5
    # Another seed: other luck.
    c = referee_of(4)
    assert c.outcome_draw(5) != first_b


def test_outcome_draws_are_uniform_over_objects_and_shots(
    referee_of: Callable[[int], Any],
) -> None:
    ref = referee_of(0)
    n_obj = len(ref.sim.truth.ids)
    u = np.array([ref.outcome_draw(i) for _ in range(40) for i in range(n_obj)])
    assert u.size >= 1000
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # Successive shots at one object are not correlated.
    per_obj = u.reshape(40, n_obj)
    r = np.corrcoef(per_obj[:-1].ravel(), per_obj[1:].ravel())[0, 1]
    assert abs(r) < 4.0 / np.sqrt(per_obj[:-1].size)


def test_an_effect_lands_on_the_object_at_the_aim_point(
    referee_of: Callable[[int], Any],
) -> None:
    """The effect is drawn against the object where the engaged track is when it lands, not the
    track's (majority-vote) truth label: a track still labelled with a destroyed munition but
    now on the decoy beside it aims at the decoy."""
    ref = referee_of(0)
    sim = ref.sim
    k = 600  # ten minutes in: every object of the raid is flying
    pos = sim.truth.pos[k]
    alive = np.flatnonzero(sim.truth.alive[k])
    assert alive.size >= 2
    a, b = int(alive[0]), int(alive[1])
    aim = pos[b] + np.array([30.0, -20.0, 10.0])
    assert ref.object_at(k, aim, a) == b  # the label says a, the aim point is on b
    empty = pos[b] + np.array([0.0, 0.0, 5_000.0])  # 5 km above the raid, below the airliners
    assert np.min(np.linalg.norm(pos[alive] - empty, axis=1)) > CAPTURE_RADIUS_M
    assert ref.object_at(k, empty, b) == -1  # nothing within the basket: no object hit
    # the track gone: the object it was on at the commit, while it lives
    assert ref.object_at(k, None, a) == a
    sim.truth.alive[k, a] = False
    assert ref.object_at(k, None, a) == -1
    assert ref.object_at(k, pos[a], a) != a  # a destroyed object is never hit again

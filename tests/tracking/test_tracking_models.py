"""The NCV motion model: structure of F and Q, time consistency, config validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.errors import ConfigError
from dronewall.tracking.models import (
    NearlyConstantVelocityModel,
    ncv_process_noise,
    ncv_transition,
)

dts = st.floats(min_value=0.0, max_value=30.0, allow_nan=False)


def test_transition_moves_position_by_velocity_times_dt() -> None:
    F = ncv_transition(np.array([0.5, 2.0]))
    assert F.shape == (2, 6, 6)
    x = np.array([1.0, 2.0, 3.0, 10.0, -4.0, 0.5])
    np.testing.assert_allclose(F[1] @ x, [21.0, -6.0, 4.0, 10.0, -4.0, 0.5])
    np.testing.assert_allclose(F[0] @ x, [6.0, 0.0, 3.25, 10.0, -4.0, 0.5])


def test_scalar_dt_gives_a_batch_of_one() -> None:
    assert ncv_transition(1.0).shape == (1, 6, 6)
    assert ncv_process_noise(1.0, 1.0, 1.0).shape == (1, 6, 6)


def test_process_noise_per_axis_blocks() -> None:
    Q = ncv_process_noise(np.array([2.0]), q_horizontal=3.0, q_vertical=0.5)[0]
    # east axis: q [[dt³/3, dt²/2], [dt²/2, dt]]
    np.testing.assert_allclose(
        Q[np.ix_([0, 3], [0, 3])], 3.0 * np.array([[8 / 3, 2.0], [2.0, 2.0]])
    )
    np.testing.assert_allclose(
        Q[np.ix_([2, 5], [2, 5])], 0.5 * np.array([[8 / 3, 2.0], [2.0, 2.0]])
    )
    # no coupling between axes
    off_axis = np.ones((6, 6), dtype=bool)
    for i in range(3):
        off_axis[np.ix_([i, i + 3], [i, i + 3])] = False
    assert np.all(Q[off_axis] == 0.0)


def test_zero_dt_adds_no_noise() -> None:
    np.testing.assert_array_equal(ncv_process_noise(np.zeros(3), 5.0, 5.0), np.zeros((3, 6, 6)))
    np.testing.assert_array_equal(ncv_transition(np.zeros(1))[0], np.eye(6))


@settings(max_examples=50, deadline=None)
@given(a=dts, b=dts, qh=st.floats(0.0, 50.0), qv=st.floats(0.0, 50.0))
def test_predicting_in_two_steps_equals_one_step(a: float, b: float, qh: float, qv: float) -> None:
    model = NearlyConstantVelocityModel(q_horizontal=qh, q_vertical=qv)
    Fa, Fb, Fab = (model.transition(np.array([d]))[0] for d in (a, b, a + b))
    Qa, Qb, Qab = (model.process_noise(np.array([d]))[0] for d in (a, b, a + b))
    np.testing.assert_allclose(Fb @ Fa, Fab, atol=1e-9)
    np.testing.assert_allclose(Fb @ Qa @ Fb.T + Qb, Qab, rtol=1e-9, atol=1e-9 * (1 + Qab.max()))


@settings(max_examples=50, deadline=None)
@given(dt=dts, qh=st.floats(0.0, 50.0), qv=st.floats(0.0, 50.0))
def test_process_noise_is_symmetric_psd(dt: float, qh: float, qv: float) -> None:
    Q = ncv_process_noise(np.array([dt]), qh, qv)[0]
    np.testing.assert_array_equal(Q, Q.T)
    assert np.linalg.eigvalsh(Q).min() >= -1e-9 * (1.0 + Q.max())


def test_position_noise_trace_matches_q() -> None:
    model = NearlyConstantVelocityModel(q_horizontal=2.0, q_vertical=1.0)
    dt = np.array([0.0, 1.0, 3.0])
    expected = np.trace(model.process_noise(dt)[:, :3, :3], axis1=1, axis2=2)
    np.testing.assert_allclose(model.position_noise_trace(dt), expected)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_invalid_noise_density_is_a_config_error(bad: float) -> None:
    with pytest.raises(ConfigError):
        NearlyConstantVelocityModel(q_horizontal=bad)
    with pytest.raises(ValueError, match="process noise"):
        NearlyConstantVelocityModel(q_vertical=bad)

"""One IMM cycle on position fixes with perfect association, shared by the IMM tests that filter
simulated targets scan by scan (targets and modes batched)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.tracking.imm import (
    InteractingMultipleModel,
    imm_mix_predict,
    imm_update_probabilities,
)
from dronewall.tracking.kalman import kalman_update, mahalanobis_pairs

F64 = NDArray[np.float64]


def imm_fix_cycle(
    imm: InteractingMultipleModel,
    mu: F64,
    xm: F64,
    Pm: F64,
    z: F64,
    R: F64,
    dt_s: float,
    turn_rate: F64 | None = None,
) -> tuple[F64, F64, F64, F64]:
    """Mix, predict by ``dt_s``, update every mode of ``n`` targets on its own fix ``z (n, 3)``.

    ``mu (n, r)``, ``xm (n, r, 6)``, ``Pm (n, r, 6, 6)``; ``R (n·r, 3, 3)``. Returns the updated
    mode probabilities, mode states and covariances, and the predicted mode covariances
    ``(n, r, 6, 6)``.
    """
    n, r = mu.shape
    mu_p, xp, Pp = imm_mix_predict(imm, mu, xm, Pm, np.full(n, dt_s), turn_rate=turn_rate)
    xf, Pf = xp.reshape(n * r, 6), Pp.reshape(n * r, 6, 6)
    zz = np.repeat(z, r, axis=0)
    pairs = np.arange(n * r)
    d2, logdet = mahalanobis_pairs(xf[:, :3], Pf[:, :3, :3], zz, R, pairs, pairs)
    xu, Pu = kalman_update(xf, Pf, zz, R)
    mu_u = imm_update_probabilities(mu_p, -0.5 * (d2 + logdet).reshape(n, r))
    return mu_u, xu.reshape(n, r, 6), Pu.reshape(n, r, 6, 6), Pp

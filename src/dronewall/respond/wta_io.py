"""Readers of the public WTA benchmark instances of Andersen, Pavlikov and Toffolo (2022).

File layout (``wta_<W>x<T>x<mu>.txt``, optionally gzip-compressed), whitespace-separated text:

- line 1: ``W T mu``: weapons, targets, shots per weapon;
- lines 2 .. T+1: the target values ``V_t``, one per line;
- then ``W·T`` lines ``w t p``: the kill probability of weapon ``w`` (0-based) at target ``t``.

Objective: minimise ``Σ_t V_t Π_w (1 − p[w,t])^x[w,t]`` with each weapon firing at most ``mu``
shots (a weapon may fire several at the same target). Reference: A. C. Andersen, K. Pavlikov,
T. A. M. Toffolo, "Weapon-target assignment problem: exact and approximate solution
algorithms", Annals of Operations Research (2022), doi 10.1007/s10479-022-04525-6.

The results file (``logs/results.csv`` of their repository) holds blocks headed
``Approach: <name>`` followed by rows ``,|W|,|T|,mu,delta,LB,UB,Gap,Time(s)``.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dronewall.core.errors import InputError
from dronewall.respond.wta_model import WtaProblem


def _lines(path: Path) -> list[str]:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="ascii") as fh:
                return fh.read().splitlines()
        return path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"cannot read: {exc}", source=str(path)) from exc


def read_toffolo_instance(path: str | Path) -> WtaProblem:
    """Read one instance file (plain or ``.gz``) into a :class:`WtaProblem`.

    Returns
    -------
    WtaProblem
        ``values (T,)``, ``pk (W, T)``, ``rounds = mu`` for every weapon, no cost,
        ``fire_all=False`` (firing never hurts without a cost, so the optimum is the same).

    Raises
    ------
    InputError
        Unreadable file or malformed content, with the 1-based line number and the field.
    """
    path = Path(path)
    src = str(path)
    lines = _lines(path)
    if not lines:
        raise InputError("empty file", source=src, line=1)
    head = lines[0].split()
    try:
        n_w, n_t, mu = (int(x) for x in head)
    except ValueError:
        raise InputError(
            "header must be three integers 'W T mu'", source=src, line=1, actual=lines[0][:60]
        ) from None
    if n_w <= 0 or n_t <= 0 or mu <= 0:
        raise InputError("W, T and mu must be positive", source=src, line=1, actual=lines[0])
    want = 1 + n_t + n_w * n_t
    body = [ln for ln in lines[want:] if ln.strip()]
    if len(lines) < want or body:
        raise InputError(
            "wrong number of lines", source=src, line=min(len(lines), want) + 1,
            expected=f"{want} lines (1 + T + W*T)", actual=f"{len(lines)} lines",
        )  # fmt: skip
    values = np.empty(n_t)
    for i in range(n_t):
        try:
            values[i] = float(lines[1 + i])
        except ValueError:
            raise InputError(
                "target value must be a number", source=src, line=2 + i, field="value",
                actual=lines[1 + i][:60],
            ) from None  # fmt: skip
        if not (np.isfinite(values[i]) and values[i] >= 0):
            raise InputError("target value must be >= 0", source=src, line=2 + i, field="value")
    pk = np.full((n_w, n_t), np.nan)
    for k in range(n_w * n_t):
        no = 2 + n_t + k
        parts = lines[no - 1].split()
        try:
            if len(parts) != 3:
                raise ValueError
            w, t, p = int(parts[0]), int(parts[1]), float(parts[2])
        except ValueError:
            raise InputError(
                "expected 'w t p'", source=src, line=no, actual=lines[no - 1][:60]
            ) from None
        if not (0 <= w < n_w and 0 <= t < n_t):
            raise InputError(
                "weapon or target index out of range", source=src, line=no, field="w t",
                expected=f"0 <= w < {n_w}, 0 <= t < {n_t}", actual=f"{w} {t}",
            )  # fmt: skip
        if not 0.0 <= p <= 1.0:
            raise InputError("p must lie in [0, 1]", source=src, line=no, field="p", actual=str(p))
        if not np.isnan(pk[w, t]):
            raise InputError("pair given twice", source=src, line=no, actual=f"{w} {t}")
        pk[w, t] = p
    return WtaProblem(values=values, pk=pk, rounds=np.full(n_w, mu, np.int64))


@dataclass(frozen=True, slots=True)
class BestKnown:
    """Best-known bounds of one instance across all approaches of a results file."""

    lower_bound: float
    upper_bound: float
    lb_approach: str
    ub_approach: str


def read_toffolo_results(path: str | Path) -> dict[tuple[int, int, int], BestKnown]:
    """Best lower and upper bound per ``(W, T, mu)`` over every approach in ``results.csv``.

    Raises
    ------
    InputError
        Unreadable file or a malformed data row (with its line number).
    """
    path = Path(path)
    src = str(path)
    out: dict[tuple[int, int, int], BestKnown] = {}
    approach = ""
    for no, raw in enumerate(_lines(path), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("Approach:"):
            approach = line.split(":", 1)[1].strip()
            continue
        if line.startswith(",|W|"):
            continue
        parts = line.split(",")
        try:
            if len(parts) != 9:
                raise ValueError
            key = (int(parts[1]), int(parts[2]), int(parts[3]))
            lb, ub = float(parts[5]), float(parts[6])
        except ValueError:
            raise InputError(
                "expected ',W,T,mu,delta,LB,UB,Gap,Time'", source=src, line=no, actual=line[:60]
            ) from None
        prev = out.get(key)
        if prev is None:
            out[key] = BestKnown(lb, ub, approach, approach)
        else:
            lo = (lb, approach) if lb > prev.lower_bound else (prev.lower_bound, prev.lb_approach)
            hi = (ub, approach) if ub < prev.upper_bound else (prev.upper_bound, prev.ub_approach)
            out[key] = BestKnown(lo[0], hi[0], lo[1], hi[1])
    return out

"""Rebuild the shipped track-classifier model file from simulated runs, reproducibly.

Usage::

    .venv/bin/python tools/train_classifier.py   # writes assess/data/track_classifier.json
    .venv/bin/python tools/train_classifier.py --out X.json --max-ticks 300

Needs scikit-learn (training only; the runtime evaluates the exported coefficients in numpy).

What it does
------------
1. **Data.** For every training scenario (the built-ins plus the training-only scenarios in
   ``src/dronewall/assess/data/training/``) and every training seed, drives
   :class:`dronewall.sim.Simulation` and :class:`dronewall.tracking.MultiSensorTracker` for at most
   ``max_ticks`` ticks and feeds each snapshot to the runtime feature extractor
   (:class:`dronewall.assess.features.TrackFeatures`, with the runtime RF cue
   :func:`dronewall.assess.classify.rf_cues`), exactly as the assess stage does. Every ``stride``-th
   tick each live track gives one row; its label is the truth class of the object behind the track
   (``TrackTable.truth``, majority of associated detections), ``clutter`` when there is none. This
   tool is a reader of truth like the simulator's scoring; runtime code never reads it.
2. **Basis.** Each continuous feature also gets hinge columns ``max(0, x − k)`` at knots ``k`` set
   at its training quintiles, so a linear model can bend (piecewise linear in each feature).
   Columns are standardised (training mean and standard deviation).
3. **Model.** Multinomial logistic regression (scikit-learn ``LogisticRegression``, lbfgs, L2 with
   ``C``), trained on the training seeds.
4. **Calibration.** Temperature scaling: one ``T`` minimising the negative log-likelihood of the
   calibration seed's rows (``softmax(z / T)``), then a reliability table is printed.
5. **Export.** JSON with the feature names, knots, standardisation, coefficients, intercepts, ``T``
   and how it was made, numbers rounded to 9 significant digits: the same inputs give a
   byte-identical file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.classify import rf_cues
from dronewall.assess.features import FEATURE_NAMES, TrackFeatures
from dronewall.core.taxonomy import ObjectClass
from dronewall.sim import Simulation, load_scenario
from dronewall.sim.scenario import list_builtin
from dronewall.tracking import MultiSensorTracker
from dronewall.world.load import load_world

F64 = NDArray[np.float64]

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "dronewall" / "assess" / "data"
MODEL_PATH = DATA / "track_classifier.json"
TRAINING_SCENARIOS = DATA / "training"

TRAIN_SEEDS = (0, 1)
CALIBRATION_SEEDS = (2,)
#: Seeds the benchmark holds out: never trained or calibrated on.
HELD_OUT_SEEDS = (100, 101)
MAX_TICKS = 400
STRIDE = 2
C_REG = 0.3
#: Weight of the rows of tentative tracks in the fit and the calibration (confirmed rows: 1).
TENTATIVE_WEIGHT = 1.0
#: Continuous features that get hinge columns at their training quintiles.
HINGED = (
    "speed_mean_m_s",
    "speed_std_m_s",
    "speed_cv",
    "height_km",
    "climb_m_s",
    "turn_rate_deg_s",
    "accel_m_s2",
    "rcs_dbsm",
    "hover_fraction",
    "maturity",
)
QUANTILES = (0.2, 0.4, 0.6, 0.8)
RF_GATE_DEG = 3.0  # as ClassifierConfig.rf_gate_deg


@dataclass(frozen=True, slots=True)
class Dataset:
    """Rows of features with labels: ``X (R, F)``, ``y (R,)`` ObjectClass codes, and where from."""

    X: F64
    y: NDArray[np.int64]
    confirmed: NDArray[np.bool_]
    age_s: F64
    run: NDArray[np.int64]
    track_id: NDArray[np.int64]
    t: F64
    runs: tuple[str, ...]


def scenario_sources() -> list[str | Path]:
    """The built-in scenarios by name, then the training-only scenario files, sorted."""
    names: list[str | Path] = [name for name, _ in sorted(list_builtin())]
    names += sorted(TRAINING_SCENARIOS.glob("*.yaml"))
    return names


def collect(
    sources: list[str | Path], seeds: tuple[int, ...], max_ticks: int, stride: int
) -> Dataset:
    """Run each scenario and seed and gather labelled feature rows (see the module docstring)."""
    world = load_world()
    xs: list[F64] = []
    ys: list[NDArray[np.int64]] = []
    conf: list[NDArray[np.bool_]] = []
    ages: list[F64] = []
    runs: list[NDArray[np.int64]] = []
    tids: list[NDArray[np.int64]] = []
    ts: list[F64] = []
    run_names: list[str] = []
    clutter = int(ObjectClass.CLUTTER)
    for src in sources:
        scenario = load_scenario(src, world)
        for seed in seeds:
            sim = Simulation(scenario, world, seed)
            tracker = MultiSensorTracker()
            feats = TrackFeatures(origin_h_m=sim.frame.h_m)
            rf_sensors = frozenset(s.index for s in sim.sensors if s.kind == "rf")
            truth_class = sim.truth.object_class.astype(np.int64)
            r = len(run_names)
            run_names.append(f"{scenario.name}#{seed}")
            for k in range(min(sim.n_ticks, max_ticks)):
                t = float(sim.times[k])
                batch = sim.sense(k)
                tracker.step(batch, t=t)
                tracks = tracker.snapshot(t)
                cue = rf_cues(tracks.x[:, :3], batch, RF_GATE_DEG, rf_sensors)
                x = feats.update(t, tracks, cue)
                if k % stride or len(tracks) == 0:
                    continue
                truth = tracks.truth.astype(np.int64)
                label = np.where(truth >= 0, truth_class[np.maximum(truth, 0)], clutter)
                xs.append(x)
                ys.append(label)
                conf.append(tracks.confirmed)
                ages.append(t - tracks.t_first)
                runs.append(np.full(len(tracks), r, np.int64))
                tids.append(tracks.track_id.astype(np.int64))
                ts.append(np.full(len(tracks), t))
    return Dataset(
        X=np.concatenate(xs),
        y=np.concatenate(ys),
        confirmed=np.concatenate(conf),
        age_s=np.concatenate(ages),
        run=np.concatenate(runs),
        track_id=np.concatenate(tids),
        t=np.concatenate(ts),
        runs=tuple(run_names),
    )


def _sig(x: float) -> float:
    """Round to 9 significant digits (stable text across tiny floating-point noise)."""
    return float(f"{x:.9g}")


def make_knots(X: F64) -> list[tuple[int, float]]:
    """``(feature, knot)`` hinge pairs at the training quantiles, duplicates and edges dropped."""
    knots: list[tuple[int, float]] = []
    for name in HINGED:
        j = FEATURE_NAMES.index(name)
        col = X[:, j]
        lo, hi = float(col.min()), float(col.max())
        seen: set[float] = set()
        for q in QUANTILES:
            k = _sig(float(np.quantile(col, q)))
            if lo < k < hi and k not in seen:
                seen.add(k)
                knots.append((j, k))
    return knots


def expand(X: F64, knots: list[tuple[int, float]]) -> F64:
    """The feature columns then one hinge column ``max(0, x_j − k)`` per knot."""
    if not knots:
        return X
    j = np.array([a for a, _ in knots], np.intp)
    k = np.array([b for _, b in knots])
    out: F64 = np.concatenate([X, np.maximum(X[:, j] - k[None, :], 0.0)], axis=1)
    return out


def softmax(z: F64) -> F64:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: F64 = e / e.sum(axis=1, keepdims=True)
    return out


def fit_temperature(z: F64, y: NDArray[np.int64], w: F64 | None = None) -> float:
    """``T`` minimising the (weighted) mean negative log-likelihood of ``softmax(z / T)``
    (bounded scalar search)."""
    from scipy.optimize import minimize_scalar

    weights = np.ones(len(y)) if w is None else w

    def nll(log_t: float) -> float:
        zt = z / np.exp(log_t)
        zt = zt - zt.max(axis=1, keepdims=True)
        lse = np.log(np.exp(zt).sum(axis=1))
        return float(np.average(lse - zt[np.arange(len(y)), y], weights=weights))

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(res.x))


def reliability(p: F64, y: NDArray[np.int64], bins: int = 10) -> tuple[float, list[str]]:
    """Expected calibration error of the top class and a text reliability table."""
    conf = p.max(axis=1)
    hit = np.argmax(p, axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(conf, edges) - 1, 0, bins - 1)
    ece = 0.0
    lines = []
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        gap = abs(float(conf[m].mean()) - float(hit[m].mean()))
        ece += m.mean() * gap
        lines.append(
            f"  [{edges[b]:.1f},{edges[b + 1]:.1f}) n={int(m.sum()):6d} "
            f"confidence={conf[m].mean():.3f} accuracy={hit[m].mean():.3f}"
        )
    return float(ece), lines


def row_weights(data: Dataset, tentative_weight: float) -> F64:
    """Weight of each row in the fit and the calibration: ``tentative_weight`` for the rows of
    tentative tracks, 1 for confirmed ones (what an operator sees)."""
    out: F64 = np.where(data.confirmed, 1.0, tentative_weight)
    return out


def train(
    train_data: Dataset,
    calib: Dataset,
    c_reg: float = C_REG,
    tentative_weight: float = 1.0,
) -> tuple[dict[str, object], F64]:
    """Fit the model; returns the model document and the calibrated probabilities of ``calib``."""
    from sklearn.linear_model import LogisticRegression

    knots = make_knots(train_data.X)
    Z = expand(train_data.X, knots)
    mean = Z.mean(axis=0)
    scale = Z.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    mean = np.array([_sig(v) for v in mean])
    scale = np.array([_sig(v) for v in scale])
    classes = np.arange(len(ObjectClass))
    present = np.unique(train_data.y)
    if not np.array_equal(present, classes):
        missing = [ObjectClass(int(c)).label for c in classes if c not in present]
        raise SystemExit(f"training data has no rows of classes {missing}")
    lr = LogisticRegression(C=c_reg, max_iter=3000, tol=1e-6)
    lr.fit(
        (Z - mean) / scale, train_data.y, sample_weight=row_weights(train_data, tentative_weight)
    )
    coef = np.array([[_sig(v) for v in row] for row in lr.coef_])
    intercept = np.array([_sig(v) for v in lr.intercept_])
    zc = ((expand(calib.X, knots) - mean) / scale) @ coef.T + intercept
    temperature = _sig(fit_temperature(zc, calib.y, row_weights(calib, tentative_weight)))
    doc: dict[str, object] = {
        "format": "dronewall-track-classifier",
        "version": 1,
        "model": "multinomial logistic regression on hinge-expanded, standardised track features",
        "classes": [c.label for c in ObjectClass],
        "features": list(FEATURE_NAMES),
        "knots": [[FEATURE_NAMES[j], k] for j, k in knots],
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": coef.tolist(),
        "intercept": intercept.tolist(),
        "temperature": temperature,
    }
    return doc, softmax(zc / temperature)


def save(ds: Dataset, path: Path) -> None:
    """Write a dataset as npz (a cache for the benchmark and re-fits; not shipped)."""
    np.savez(
        path,
        X=ds.X,
        y=ds.y,
        confirmed=ds.confirmed,
        age_s=ds.age_s,
        run=ds.run,
        track_id=ds.track_id,
        t=ds.t,
        runs=np.array(ds.runs),
    )


def load(path: Path) -> Dataset:
    with np.load(path) as f:
        return Dataset(
            X=f["X"],
            y=f["y"],
            confirmed=f["confirmed"],
            age_s=f["age_s"],
            run=f["run"],
            track_id=f["track_id"],
            t=f["t"],
            runs=tuple(str(r) for r in f["runs"]),
        )


def _data(
    sources: list[str | Path], max_ticks: int, stride: int, cache: Path | None
) -> tuple[Dataset, Dataset]:
    """Training and calibration rows, from ``cache`` (``<cache>.train.npz``, ``.calib.npz``) if
    both exist, else collected (and cached when ``cache`` is given)."""
    if cache is not None:
        a, b = cache.with_suffix(".train.npz"), cache.with_suffix(".calib.npz")
        if a.is_file() and b.is_file():
            return load(a), load(b)
    tr = collect(sources, TRAIN_SEEDS, max_ticks, stride)
    ca = collect(sources, CALIBRATION_SEEDS, max_ticks, stride)
    if cache is not None:
        save(tr, cache.with_suffix(".train.npz"))
        save(ca, cache.with_suffix(".calib.npz"))
    return tr, ca


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--max-ticks", type=int, default=MAX_TICKS)
    ap.add_argument("--stride", type=int, default=STRIDE)
    ap.add_argument("--c", type=float, default=C_REG, help="inverse L2 strength")
    ap.add_argument(
        "--tentative-weight",
        type=float,
        default=TENTATIVE_WEIGHT,
        help="weight of tentative tracks' rows (confirmed: 1)",
    )
    ap.add_argument("--cache", type=Path, help="npz of the collected rows: reused when present")
    args = ap.parse_args(argv)
    import sklearn

    t0 = time.perf_counter()
    sources = scenario_sources()
    tr, ca = _data(sources, args.max_ticks, args.stride, args.cache)
    t1 = time.perf_counter()
    if not 0.0 < args.tentative_weight <= 1.0:
        raise SystemExit("--tentative-weight must lie in (0, 1]")
    doc, p_cal = train(tr, ca, args.c, args.tentative_weight)
    t2 = time.perf_counter()
    counts = np.bincount(tr.y, minlength=len(ObjectClass))
    doc["training"] = {
        "tool": "tools/train_classifier.py",
        "scikit_learn": sklearn.__version__,
        "scenarios": [
            s if isinstance(s, str) else f"assess/data/training/{s.name}" for s in sources
        ],
        "train_seeds": list(TRAIN_SEEDS),
        "calibration_seeds": list(CALIBRATION_SEEDS),
        "held_out_seeds": list(HELD_OUT_SEEDS),
        "max_ticks": args.max_ticks,
        "stride": args.stride,
        "C": args.c,
        "tentative_weight": args.tentative_weight,
        "rows": len(tr.y),
        "rows_per_class": {c.label: int(counts[int(c)]) for c in ObjectClass},
    }
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    ece, lines = reliability(p_cal, ca.y)
    acc = float(np.mean(np.argmax(p_cal, axis=1) == ca.y))
    print(f"rows: train {len(tr.y)}, calibration {len(ca.y)}; per class {counts.tolist()}")
    print(f"temperature {doc['temperature']}; calibration accuracy {acc:.3f}, ECE {ece:.3f}")
    print("\n".join(lines))
    print(f"data {t1 - t0:.1f} s, fit {t2 - t1:.1f} s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

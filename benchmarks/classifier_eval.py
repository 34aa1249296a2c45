"""Track classification on held-out seeds: the trained classifier against the hand-made one.

Usage::

    .venv/bin/python benchmarks/classifier_eval.py [--seeds 100 101] [--max-ticks 400]

For every training scenario (built-ins plus ``src/dronewall/assess/data/training/``) and each
held-out seed (never trained or calibrated on: ``HELD_OUT_SEEDS`` of ``tools/train_classifier.py``)
it drives the simulator and the tracker and feeds every tick to both classifiers, exactly as the
assess stage does (RF sensors declared; fused probabilities over time). Scored rows: confirmed
tracks (what an operator sees), every tick; the label is the truth class of the object behind the
track (``clutter`` when none). Printed: confusion matrices (rows truth, columns predicted = most
probable class), macro-F1 over the classes present in the held-out truth, the bird/drone
separation on tracks with at least 10 s of history (a bird called a bird; a UAS called one of the
UAS classes), the expected calibration error of the top class, and the time per tick of each
classifier.

Two scenario sets are scored: all of them, and the set before the cluttered-patch scenario was
added (:data:`ADDED_FOR_CLUTTER`; without it the held-out runs hold only ~10 confirmed rows of
clutter, too few for its F1 to mean much) so that figures stay comparable with earlier ones.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.classify import (
    UAS_MASK,
    BayesClassifier,
    ClassifierConfig,
    TrainedClassifier,
    build_class_model,
)
from dronewall.core.taxonomy import ObjectClass
from dronewall.sim import Simulation, load_scenario
from dronewall.tracking import MultiSensorTracker
from dronewall.world.load import load_world

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "train_classifier", ROOT / "tools/train_classifier.py"
)
assert _spec is not None
assert _spec.loader is not None
tc = importlib.util.module_from_spec(_spec)
sys.modules["train_classifier"] = tc
_spec.loader.exec_module(tc)

C = len(ObjectClass)
BIRD = int(ObjectClass.BIRD)
#: Scenarios added in issue 5 for confirmed clutter tracks; scored with and without them.
ADDED_FOR_CLUTTER = ("train-clutter-patch",)


def run_all(seeds: tuple[int, ...], max_ticks: int) -> dict[str, NDArray[np.generic]]:
    world = load_world()
    cfg = ClassifierConfig()
    out: dict[str, list[NDArray[np.generic]]] = {k: [] for k in ("y", "age", "new", "old", "added")}
    t_new = t_old = 0.0
    ticks = 0
    for src in tc.scenario_sources():
        scenario = load_scenario(src, world)
        for seed in seeds:
            sim = Simulation(scenario, world, seed)
            tracker = MultiSensorTracker()
            rf = frozenset(s.index for s in sim.sensors if s.kind == "rf")
            new = TrainedClassifier(origin_h_m=sim.frame.h_m, rf_sensors=rf)
            old = BayesClassifier(
                build_class_model(world.objects, cfg), cfg, origin_h_m=sim.frame.h_m, rf_sensors=rf
            )
            cls = sim.truth.object_class.astype(np.int64)
            for k in range(min(sim.n_ticks, max_ticks)):
                t = float(sim.times[k])
                batch = sim.sense(k)
                tracker.step(batch, t=t)
                tracks = tracker.snapshot(t)
                a = time.perf_counter()
                pn = new.update(t, tracks, batch).probs
                b = time.perf_counter()
                po = old.update(t, tracks, batch).probs
                t_new += b - a
                t_old += time.perf_counter() - b
                ticks += 1
                m = tracks.confirmed
                if not m.any():
                    continue
                tru = tracks.truth[m].astype(np.int64)
                out["y"].append(
                    np.where(tru >= 0, cls[np.maximum(tru, 0)], int(ObjectClass.CLUTTER))
                )
                out["age"].append(t - tracks.t_first[m])
                out["added"].append(np.full(int(m.sum()), scenario.name in ADDED_FOR_CLUTTER))
                out["new"].append(pn[m])
                out["old"].append(po[m])
    res = {k: np.concatenate(v) for k, v in out.items()}
    res["ms_per_tick"] = np.array([1e3 * t_new / ticks, 1e3 * t_old / ticks])
    return res


def pipeline_advice(source: str | Path, seed: int, kind: str, db: Path) -> dict[str, Any]:
    """Run the whole pipeline with the ``kind`` classifier; recommendations by truth allegiance."""
    from dronewall.assess import AssessConfig, Assessor
    from dronewall.picture import EventStore
    from dronewall.pipeline.session import RunSession

    world = load_world()
    scenario = load_scenario(source, world)
    store = EventStore.open(db)
    try:
        session = RunSession(scenario, world, seed=seed, store=store)
        rf = frozenset(s.index for s in session.sim.sensors if s.kind == "rf")
        session.assessor = Assessor(
            scenario.sites,
            session.sim.frame,
            AssessConfig(classifier_kind=kind),
            objects=world.objects,
            rf_sensors=rf,
        )
        with store.transaction():
            while not session.done:
                session.step()
        summary = session.summary()
    finally:
        store.close()
    return summary


def confusion(y: NDArray[np.int64], pred: NDArray[np.int64]) -> NDArray[np.int64]:
    m = np.zeros((C, C), np.int64)
    np.add.at(m, (y, pred), 1)
    return m


def macro_f1(cm: NDArray[np.int64]) -> tuple[float, NDArray[np.float64]]:
    """Macro-F1 over the classes with truth rows; per-class F1 (NaN for absent classes)."""
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(support > 0, 2 * tp / (support + predicted), np.nan)
    return float(np.nanmean(f1)), f1


def separation(y: NDArray[np.int64], p: NDArray[np.float64]) -> tuple[float, float, int, int]:
    """Share of bird rows called bird, share of UAS rows called a UAS class, and their counts."""
    pred = np.argmax(p, axis=1)
    bird = y == BIRD
    uas = UAS_MASK[y]
    return (
        float(np.mean(pred[bird] == BIRD)) if bird.any() else float("nan"),
        float(np.mean(UAS_MASK[pred[uas]])) if uas.any() else float("nan"),
        int(bird.sum()),
        int(uas.sum()),
    )


def print_cm(cm: NDArray[np.int64]) -> None:
    labels = [c.label[:6] for c in ObjectClass]
    print("truth\\pred " + " ".join(f"{s:>7}" for s in labels))
    for i, row in enumerate(cm):
        print(f"{labels[i]:>10} " + " ".join(f"{v:7d}" for v in row))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(tc.HELD_OUT_SEEDS))
    ap.add_argument("--max-ticks", type=int, default=tc.MAX_TICKS)
    ap.add_argument(
        "--pipeline",
        metavar="SCENARIO",
        help="instead: run the whole pipeline on SCENARIO (name or file) with each classifier "
        "and count the recommendations",
    )
    args = ap.parse_args(argv)
    if args.pipeline:
        import tempfile

        for kind in ("rules", "trained"):
            with tempfile.TemporaryDirectory() as d:
                sm = pipeline_advice(args.pipeline, args.seeds[0], kind, Path(d) / "e.sqlite")
            keys = ("recommendations", "recommendations_against_civil", "engagements")
            print(kind, {k: sm.get(k) for k in keys})
        return 0
    trained = set(tc.TRAIN_SEEDS) | set(tc.CALIBRATION_SEEDS)
    if trained & set(args.seeds):
        raise SystemExit(f"seeds {sorted(trained & set(args.seeds))} were trained on")
    t0 = time.perf_counter()
    r = run_all(tuple(args.seeds), args.max_ticks)
    for label, keep in (
        ("all scenarios", np.ones(len(r["y"]), np.bool_)),
        (f"without {', '.join(ADDED_FOR_CLUTTER)} (the earlier set)", ~r["added"].astype(bool)),
    ):
        print(f"\n######## {label}")
        report({k: v[keep] for k, v in r.items() if k != "ms_per_tick"}, args)
    ms_new, ms_old = r["ms_per_tick"]
    print(f"\nclassifier time per tick: new {ms_new:.2f} ms, old {ms_old:.2f} ms")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


def report(r: dict[str, NDArray[np.generic]], args: argparse.Namespace) -> None:
    """Print the confusion matrices and figures of both classifiers on the rows of ``r``."""
    y = r["y"].astype(np.int64)
    age = r["age"].astype(np.float64)
    print(f"held-out seeds {args.seeds}, {args.max_ticks} ticks per run, {len(y)} confirmed rows")
    for name in ("old", "new"):
        p = r[name].astype(np.float64)
        pred = np.argmax(p, axis=1)
        cm = confusion(y, pred)
        f1, per = macro_f1(cm)
        old10 = age >= 10.0
        f1_10, _ = macro_f1(confusion(y[old10], pred[old10]))
        b, u, nb, nu = separation(y[old10], p[old10])
        ece, _ = tc.reliability(p, y)
        print(f"\n== {name} classifier ==")
        print_cm(cm)
        print(
            "per-class F1: "
            + ", ".join(
                f"{c.label} {v:.3f}"
                for c, v in zip(ObjectClass, per, strict=True)
                if np.isfinite(v)
            )
        )
        print(f"macro-F1 {f1:.3f} (all confirmed rows), {f1_10:.3f} (age >= 10 s)")
        big = cm.sum(axis=1) >= 100
        print(f"macro-F1 {np.nanmean(per[big]):.3f} over the classes with >= 100 truth rows")
        print(f"age >= 10 s: birds called bird {b:.3f} (n={nb}), UAS called UAS {u:.3f} (n={nu})")
        print(f"top-class ECE {ece:.3f}")


if __name__ == "__main__":
    sys.exit(main())

"""What a report is made of: a run directory's summary and the run's record in its event store.

Data layout
-----------
A run directory holds ``summary.json`` (written by the pipeline) and ``events.sqlite`` (an
:class:`~dronewall.picture.EventStore`). :func:`load_run` reads both into one :class:`RunData`:
the summary as a validated dict, the run's set-up rows, its truth (:class:`TruthRecord`), its
track snapshots (:class:`TrackUpdates`) and its events, plus per-track and per-object trajectories
as ``(t (K,), lla (K, 3))`` pairs sorted by time.

``summary.json`` is a JSON object. ``scenario`` (str) and ``seed`` (int) are required; every other
key is optional, but when present must have the type below (``null`` is accepted for any optional
key and shown as a dash). Times ``*_s`` are seconds since the start of the run.

===================================  ==========================================================
key                                  type
===================================  ==========================================================
``run_id``                           int: which run of the store (default: the last run of
                                     that scenario and seed, else the last run)
``sim_duration_s``                   number
``detections``, ``tracks_confirmed``,  int
``alerts_true``, ``alerts_false``,
``recommendations``,
``recommendations_against_civil``
``defence_cost_eur``,                number
``threat_cost_eur``
``gospa_mean``                       object of numbers: ``total``, ``localisation``,
                                     ``missed``, ``false``, ``c_m``, ``p``, ``alpha``
``threats``                          list of objects: ``id``, ``class``,
                                     ``first_detected_s``, ``first_confirmed_s``,
                                     ``first_alert_s``, ``reached_core_s``, ``defeated_s``
                                     (numbers), ``engaged_by`` (str or list of str),
                                     ``outcome`` (str)
``gospa_by_allegiance``              object of objects like ``gospa_mean`` (shown when a dict)
``definitions``                      str, shown under the metrics table
===================================  ==========================================================
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.core.errors import InputError, StoreError
from dronewall.picture import Event, EventStore, RunInfo, TrackUpdates, TruthRecord

F64 = NDArray[np.float64]
Trajectory = tuple[F64, F64]
"""``(t (K,), lla (K, 3))`` sorted by ``t``."""

SUMMARY_FILE = "summary.json"
STORE_FILE = "events.sqlite"

_INT_KEYS = (
    "run_id",
    "detections",
    "tracks_confirmed",
    "alerts_true",
    "alerts_false",
    "recommendations",
    "recommendations_against_civil",
)
_NUMBER_KEYS = ("sim_duration_s", "defence_cost_eur", "threat_cost_eur")
_GOSPA_KEYS = ("total", "localisation", "missed", "false", "c_m", "p", "alpha")
_THREAT_TIME_KEYS = (
    "first_detected_s",
    "first_confirmed_s",
    "first_alert_s",
    "reached_core_s",
    "defeated_s",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunData:
    """Everything the report shows about one run."""

    run_dir: Path
    summary: dict[str, Any]
    run: RunInfo
    sites: list[dict[str, Any]]
    sensors: list[dict[str, Any]]
    fire_units: list[dict[str, Any]]
    objects: list[dict[str, Any]]
    truth: TruthRecord
    tracks: TrackUpdates
    events: list[Event]

    @property
    def t0(self) -> float:
        return self.run.t0

    @property
    def t_end(self) -> float:
        """End of the run, UTC epoch seconds: ``t0 + sim_duration_s``, else the last record."""
        dur = self.summary.get("sim_duration_s")
        if isinstance(dur, int | float) and math.isfinite(dur) and dur > 0:
            return self.t0 + float(dur)
        last = [self.t0]
        if len(self.truth):
            last.append(float(self.truth.t.max()))
        if len(self.tracks):
            last.append(float(self.tracks.t.max()))
        if self.events:
            last.append(max(e.t for e in self.events))
        return max(last)

    def truth_trajectories(self) -> dict[int, Trajectory]:
        """Truth per object index."""
        return _split(self.truth.idx.astype(np.int64), self.truth.t, self.truth.lla)

    def track_trajectories(self, *, confirmed_only: bool) -> dict[int, Trajectory]:
        """Track positions per track id (with ``confirmed_only``: confirmed or coasting rows)."""
        keep = self.tracks.status != 0 if confirmed_only else np.ones(len(self.tracks), bool)
        return _split(self.tracks.track_id[keep], self.tracks.t[keep], self.tracks.lla[keep])


def _split(key: NDArray[np.int64], t: F64, lla: F64) -> dict[int, Trajectory]:
    if key.size == 0:
        return {}
    order = np.lexsort((t, key))
    k, ts, ps = key[order], t[order], lla[order]
    cuts = np.flatnonzero(np.diff(k)) + 1
    return {
        int(kk[0]): (tt, pp)
        for kk, tt, pp in zip(
            np.split(k, cuts), np.split(ts, cuts), np.split(ps, cuts), strict=True
        )
    }


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def load_summary(path: Path) -> dict[str, Any]:
    """Read and check ``summary.json``; see the module docstring for the keys.

    Raises
    ------
    InputError
        naming the file (and the field) when it is missing, not JSON, or has a wrong type.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("run summary not found", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the run summary: {exc}", source=source) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", source=source, line=exc.lineno) from exc
    if not isinstance(data, dict):
        raise InputError(
            "the run summary must be a JSON object",
            source=source,
            expected="an object",
            actual=type(data).__name__,
        )

    def wrong(key: str, expected: str, value: Any) -> InputError:
        return InputError(
            "wrong type", source=source, field=key, expected=expected, actual=repr(value)[:80]
        )

    if not isinstance(data.get("scenario"), str):
        raise wrong("scenario", "a string", data.get("scenario"))
    if not isinstance(data.get("seed"), int) or isinstance(data.get("seed"), bool):
        raise wrong("seed", "an integer", data.get("seed"))
    for key in _INT_KEYS:
        v = data.get(key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            raise wrong(key, "an integer", v)
    for key in _NUMBER_KEYS:
        v = data.get(key)
        if v is not None and not _is_number(v):
            raise wrong(key, "a number", v)
    gospa = data.get("gospa_mean")
    if gospa is not None:
        if not isinstance(gospa, dict):
            raise wrong("gospa_mean", "an object", gospa)
        for key in _GOSPA_KEYS:
            v = gospa.get(key)
            if v is not None and not _is_number(v):
                raise wrong(f"gospa_mean.{key}", "a number", v)
    threats = data.get("threats")
    if threats is not None:
        if not isinstance(threats, list):
            raise wrong("threats", "a list", threats)
        for i, th in enumerate(threats):
            if not isinstance(th, dict):
                raise wrong(f"threats[{i}]", "an object", th)
            for key in _THREAT_TIME_KEYS:
                v = th.get(key)
                if v is not None and not _is_number(v):
                    raise wrong(f"threats[{i}].{key}", "a number of seconds or null", v)
            eb = th.get("engaged_by")
            if eb is not None and not (
                isinstance(eb, str)
                or (isinstance(eb, list) and all(isinstance(e, str) for e in eb))
            ):
                raise wrong(f"threats[{i}].engaged_by", "a string or a list of strings", eb)
    return data


def load_run(run_dir: Path) -> RunData:
    """Read ``run_dir/summary.json`` and the run's record from ``run_dir/events.sqlite``.

    Raises
    ------
    InputError
        the summary is missing or malformed (naming the file).
    StoreError
        the store is missing, unreadable, of another schema version, or lacks the run (or any
        run).
    """
    summary = load_summary(run_dir / SUMMARY_FILE)
    with EventStore.open(run_dir / STORE_FILE, create=False) as store:
        return read_run(store, run_dir, summary)


def read_run(store: EventStore, run_dir: Path, summary: dict[str, Any]) -> RunData:
    """The record of the run ``summary`` names (``run_id``, else its scenario and seed), read
    from an open ``store`` (any path or URL: a live ingest may record elsewhere than
    ``run_dir``).

    Raises
    ------
    StoreError
        the store lacks the run (or any run).
    """
    run = _pick_run(store, summary)
    rid = run.run_id
    return RunData(
        run_dir=run_dir,
        summary=summary,
        run=run,
        sites=store.sites(rid),
        sensors=store.sensors(rid),
        fire_units=store.fire_units(rid),
        objects=store.objects(rid),
        truth=store.truth(rid),
        tracks=store.track_updates(rid),
        events=store.events(rid),
    )


def _pick_run(store: EventStore, summary: dict[str, Any]) -> RunInfo:
    if isinstance(summary.get("run_id"), int):
        return store.run(summary["run_id"])
    runs = store.runs()
    if not runs:
        raise StoreError("the event store holds no run", source=store.source)
    same = [r for r in runs if r.scenario == summary["scenario"] and r.seed == summary["seed"]]
    return (same or runs)[-1]

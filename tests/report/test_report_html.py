"""The HTML run report, from a synthetic run written with the store API."""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from dronewall.cli import app
from dronewall.core import DetectionBatch, InputError, MeasurementKind, StoreError, TrackTable
from dronewall.geo import LocalFrame
from dronewall.picture import Event, EventStore
from dronewall.report import load_summary, try_write_report, write_report
from dronewall.report.html import mmss
from dronewall.world import load_world

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def build_run(
    run_dir: Path,
    *,
    n_objects: int = 6,
    duration_s: float = 300.0,
    dt: float = 5.0,
    scenario: str = "doel-swarm <test>",
    seed: int = 42,
) -> dict[str, Any]:
    """Write a small but complete run (store + summary) into ``run_dir``; return the summary.

    Objects fly straight at Doel from 6-12 km out; each gets a track that follows it with noise,
    hostile ones raise alerts, some are engaged (defeated or missed) and one leaks.
    """
    rng = np.random.default_rng(seed)
    site = load_world().sites["doel"]
    frame = LocalFrame(site.lat_deg, site.lon_deg, 0.0)
    allegiances = ["hostile", "civil", "nature"]
    objects = [
        {
            "object_id": f"obj-{i}",
            "type_id": ["shahed-136", "cessna-172", "bird"][i % 3],
            "object_class": ["loitering-munition", "light-aircraft", "bird"][i % 3],
            "allegiance": allegiances[i % 3],
            "target_site": "doel" if i % 3 == 0 else None,
            "rcs_m2": 0.5,
            "cost_eur": 35000.0 if i % 3 == 0 else 0.0,
        }
        for i in range(n_objects)
    ]
    bearing = rng.uniform(0, 2 * np.pi, n_objects)
    r0 = rng.uniform(6000, 12000, n_objects)
    start = np.column_stack([r0 * np.sin(bearing), r0 * np.cos(bearing), np.full(n_objects, 300.0)])
    speed = rng.uniform(20, 40, n_objects)
    vel = -start / np.linalg.norm(start, axis=1, keepdims=True) * speed[:, None]
    vel[:, 2] = 0.0

    run_dir.mkdir(parents=True, exist_ok=True)
    with EventStore.open(run_dir / "events.sqlite") as store:
        rid = store.begin_run(
            scenario=scenario, seed=seed, t0=T0, origin_lla=(site.lat_deg, site.lon_deg, 0.0),
            config={"dt": dt},
        )  # fmt: skip
        store.add_sites(rid, [site, load_world().sites["borssele"]])
        store.add_sensors(
            rid,
            [{"sensor_id": "radar-1", "kind": "radar", "lat": site.lat_deg + 0.01,
              "lon": site.lon_deg + 0.02, "h_m": 20.0, "max_range_m": 15000.0}],
        )  # fmt: skip
        store.add_fire_units(
            rid,
            [{"fire_unit_id": "gun-1", "effector_id": "skynex", "layer": "gun",
              "lat": site.lat_deg - 0.01, "lon": site.lon_deg, "magazine": 20}],
        )  # fmt: skip
        store.add_objects(rid, objects)
        events: list[Event] = []
        n_steps = int(duration_s / dt)
        for k in range(n_steps):
            with store.transaction():  # one commit per tick
                _step(store, rid, k, n_steps, dt, frame, objects, start, vel, rng, events)
        store.append_events(rid, events)
        summary: dict[str, Any] = {
            "scenario": scenario,
            "seed": seed,
            "sim_duration_s": duration_s,
            "detections": n_steps * n_objects,
            "tracks_confirmed": n_objects,
            "gospa_mean": {"total": 123.456, "localisation": 45.6, "missed": 70.0,
                           "false": 7.856, "c_m": 500.0, "p": 2, "alpha": 2},
            "threats": [
                {"id": f"obj-{i}", "class": "loitering-munition", "first_detected_s": 0.0,
                 "first_confirmed_s": 10.0, "first_alert_s": 10.0,
                 "engaged_by": ["gun-1"] if i == 0 else None,
                 "outcome": "defeated" if i == 0 else "leaked"}
                for i in range(0, n_objects, 3)
            ],
            "alerts_true": 17,
            "alerts_false": 3,
            "recommendations": 2,
            "recommendations_against_civil": 0,
            "defence_cost_eur": 54321.0,
            "threat_cost_eur": 70000.0,
            "engagements_by_effector": {"piorun": 1, "skynex-35mm": 2},
            "cost_by_effector_eur": {"skynex-35mm": 4321.0, "piorun": 50000.0},
            "tracker_counters": {"merged": 5, "rows_rejected": 0},
        }  # fmt: skip
        store.finish_run(rid, summary)
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return summary


def _step(
    store: EventStore,
    rid: int,
    k: int,
    n_steps: int,
    dt: float,
    frame: LocalFrame,
    objects: list[dict[str, Any]],
    start: np.ndarray,
    vel: np.ndarray,
    rng: np.random.Generator,
    events: list[Event],
) -> None:
    n_objects = len(objects)
    t = T0 + k * dt
    pos = start + vel * k * dt
    enu = np.hstack([pos, vel])
    lla = frame.enu_to_lla(pos)
    store.append_truth(rid, t, np.arange(n_objects), enu, lla)
    z = pos + rng.normal(scale=30.0, size=pos.shape)
    store.append_detections(
        rid,
        DetectionBatch.build(
            t=np.full(n_objects, t), sensor=0, kind=MeasurementKind.POSITION, z=z,
            R=np.eye(3) * 900.0, sensor_pos=np.zeros(3),
            truth=np.arange(n_objects, dtype=np.int32),
        ),
    )  # fmt: skip
    ids = np.arange(n_objects, dtype=np.int64) + 100
    tracks = TrackTable(
        t=t, track_id=ids, status=np.full(n_objects, 0 if k < 2 else 1, np.int8),
        x=np.hstack([z, vel]), P=np.tile(np.eye(6) * 100.0, (n_objects, 1, 1)),
        t_first=np.full(n_objects, T0), t_update=np.full(n_objects, t),
        hits=np.full(n_objects, k + 1, np.int32), misses=np.zeros(n_objects, np.int32),
        ident=np.full(n_objects, -1), rcs_dbsm=np.full(n_objects, -3.0),
        sensors=np.ones(n_objects, np.int64), truth=np.arange(n_objects, dtype=np.int32),
    )  # fmt: skip
    store.append_track_updates(
        rid, t, tracks, frame.enu_to_lla(z), [str(o["object_class"]) for o in objects],
        np.full(n_objects, 0.8), ["hostile" if i % 3 == 0 else "neutral"
                                  for i in range(n_objects)], rng.random(n_objects),
    )  # fmt: skip
    if k == 2:
        events += [Event(t=t, kind="track_confirmed", track_id=int(i)) for i in ids]
        events += [
            Event(t=t, kind="alert", track_id=int(ids[i]), site_id="doel",
                  payload={"level": "watch", "note": "<b>not bold</b> & co"})
            for i in range(0, n_objects, 3)
        ]  # fmt: skip
    if k == 6:
        for i in range(0, n_objects, 3):
            tid = int(ids[i])
            events += [
                Event(t=t, kind="alert", track_id=tid, site_id="doel",
                      payload={"level": "alarm"}),
                Event(t=t + 1, kind="recommendation", track_id=tid,
                      payload={"fire_unit_id": "gun-1", "pk": 0.7}),
                Event(t=t + 3, kind="decision", track_id=tid,
                      payload={"approved": True}),
                Event(t=t + 4, kind="engagement", track_id=tid,
                      payload={"fire_unit_id": "gun-1"}),
                Event(t=t + 8, kind="outcome", track_id=tid,
                      payload={"result": "defeated" if i == 0 else "missed"}),
            ]  # fmt: skip
    if k == n_steps - 2 and n_objects > 3:
        events.append(
            Event(t=t, kind="leak", track_id=int(ids[3]), site_id="doel",
                  payload={"truth": 3})
        )  # fmt: skip


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_report_is_one_self_contained_file(tmp_path: Path) -> None:
    summary = build_run(tmp_path / "run")
    out = write_report(tmp_path / "run")
    assert out == tmp_path / "run" / "report.html"
    html = out.read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "events.sqlite", "report.html", "summary.json",
    ]  # fmt: skip
    # no external references of any kind
    assert not re.search(r"https?:|ftp:|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE)
    parser = _Collect()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        src = attrs.get("src")
        assert src is None or src.startswith("data:image/png;base64,"), src
    images = [a for t, a in parser.tags if t == "img"]
    assert len(images) >= 2
    # the scenario (escaped) and the metrics
    assert "doel-swarm &lt;test&gt;" in html
    assert "<test>" not in html
    for value in ("42", "17", "123.5", "45.6", "7.856", "54,321 €", "70,000 €", "05:00"):
        assert value in html, value
    assert html.count("<tr>") > 10
    # breakdowns by effector, largest first, and other maps of numbers in their own order
    assert "skynex-35mm 2, piorun 1" in html
    assert "piorun 50,000 €, skynex-35mm 4,321 €" in html
    assert "merged 5, rows_rejected 0" in html
    # threats and events tables
    assert "obj-0" in html
    assert "defeated" in html
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co" in html
    assert "00:10" in html  # first alert, relative to t0
    assert summary["scenario"] == "doel-swarm <test>"


def test_report_images_are_valid_pngs(tmp_path: Path) -> None:
    import base64

    build_run(tmp_path, n_objects=3, duration_s=60.0)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    blobs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(blobs) == 2
    for b in blobs:
        png = base64.b64decode(b)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(png) > 10_000


def test_report_of_a_run_with_no_events(tmp_path: Path) -> None:
    with EventStore.open(tmp_path / "events.sqlite") as store:
        store.begin_run(scenario="empty", seed=1, t0=T0, origin_lla=(50.8, 4.4, 0.0), config={})
    (tmp_path / "summary.json").write_text('{"scenario": "empty", "seed": 1}', encoding="utf-8")
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "empty" in html
    assert html.count("data:image/png;base64,") == 2


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"seed": 1}', "scenario"),
        ('{"scenario": "x", "seed": "one"}', "seed"),
        ('{"scenario": "x", "seed": 1, "threats": {}}', "threats"),
        ('{"scenario": "x", "seed": 1, "gospa_mean": {"total": "big"}}', r"gospa_mean\.total"),
        ('{"scenario": "x", "seed": 1, "threats": [{"first_alert_s": "soon"}]}', "first_alert_s"),
    ],
)
def test_malformed_summary_names_the_file(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "summary.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match) as info:
        load_summary(path)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)


def test_missing_summary_or_store_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"summary\.json") as info:
        write_report(tmp_path)
    assert info.value.source == str(tmp_path / "summary.json")
    (tmp_path / "summary.json").write_text('{"scenario": "x", "seed": 1}', encoding="utf-8")
    with pytest.raises(StoreError, match=r"events\.sqlite"):
        write_report(tmp_path)
    assert not (tmp_path / "events.sqlite").exists()
    assert not (tmp_path / "report.html").exists()


def _undated(html: str) -> str:
    """The report without the time it was generated at (its footer)."""
    return re.sub(r"Generated \S+ by", "Generated by", html)


def test_a_run_recorded_elsewhere_is_read_from_its_store(tmp_path: Path) -> None:
    """A folder whose run is in another store (``--db``, an ingest's ``store:``): the report is
    read from that store, by path or open, and ``dronewall report --db`` writes it too."""
    build_run(tmp_path / "run")
    store = tmp_path / "elsewhere.sqlite"
    (tmp_path / "run" / "events.sqlite").rename(store)
    with pytest.raises(StoreError, match=r"events\.sqlite"):
        write_report(tmp_path / "run")  # the folder's own store is not there
    out = write_report(tmp_path / "run", store)
    html = out.read_text(encoding="utf-8")
    assert "doel-swarm &lt;test&gt;" in html
    assert "obj-0" in html  # the run's objects, read from the store
    out.unlink()
    with EventStore.open(store, create=False) as opened:
        again = write_report(tmp_path / "run", opened).read_text(encoding="utf-8")
        assert _undated(again) == _undated(html)
        assert opened.runs()  # an open store is read and left open
    result = CliRunner().invoke(app, ["report", str(tmp_path / "run"), "--db", str(store)])
    assert result.exit_code == 0, result.output
    rebuilt = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert _undated(rebuilt) == _undated(html)


def test_a_report_that_cannot_be_written_leaves_the_last_one(tmp_path: Path) -> None:
    """The report is replaced atomically: a store without the run raises, names the store, and
    the report written before stays whole; ``try_write_report`` gives the reason instead."""
    build_run(tmp_path / "run")
    before = write_report(tmp_path / "run").read_text(encoding="utf-8")
    other = tmp_path / "other.sqlite"
    EventStore.open(other).close()  # a store, but not of this run
    with pytest.raises(StoreError, match=r"other\.sqlite"):
        write_report(tmp_path / "run", other)
    assert (tmp_path / "run" / "report.html").read_text(encoding="utf-8") == before
    path, why = try_write_report(tmp_path / "run", other)
    assert path is None
    assert why is not None
    assert "other.sqlite" in why
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "events.sqlite",
        "report.html",
        "summary.json",
    ]  # fmt: skip  (no temporary file left behind)
    missing = tmp_path / "missing.sqlite"
    result = CliRunner().invoke(app, ["report", str(tmp_path / "run"), "--db", str(missing)])
    assert result.exit_code != 0
    assert "missing.sqlite" in " ".join(result.output.split())
    assert not missing.exists()  # a reader never creates a store


def test_report_of_a_long_run_is_fast(tmp_path: Path) -> None:
    """25 minutes, 30 objects, 30k track updates and 30k truth rows: under 3 s (about 1 s on an
    idle machine). CPU time of this process, so that other load on the machine does not count."""
    build_run(tmp_path, n_objects=30, duration_s=1500.0, dt=1.5)
    start = time.process_time()
    write_report(tmp_path)
    elapsed = time.process_time() - start
    assert elapsed < 3.0, f"report took {elapsed:.2f} s of CPU"


def test_mmss() -> None:
    assert mmss(0) == "00:00"
    assert mmss(65.4) == "01:05"
    assert mmss(3725) == "62:05"
    assert mmss(-5) == "-00:05"
    assert mmss(None) == "—"

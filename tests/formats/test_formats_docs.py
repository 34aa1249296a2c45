"""The examples of docs/formats/detections.md are valid: every JSON line of the doc is read."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dronewall.formats import read_detections, read_tracks

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats" / "detections.md"


def json_blocks() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    return [b.strip().splitlines() for b in re.findall(r"```json\n(.*?)```", text, re.S)]


def test_every_detection_example_of_the_doc_is_read_without_error() -> None:
    lines = [line for b in json_blocks() if "dronewall.tracks" not in b[0] for line in b]
    f = read_detections(lines)
    assert f.errors == ()
    kinds = {json.loads(line).get("type", "detection") for line in lines}
    assert kinds == {"frame", "sensor", "format", "detection"}
    n = sum(1 for line in lines if "type" not in json.loads(line))
    assert f.detections == n >= 8
    assert set(f.batch.kind.tolist()) == {0, 1, 2, 3}  # every kind has an example


def test_the_track_example_of_the_doc_is_read() -> None:
    (block,) = [b for b in json_blocks() if "dronewall.tracks" in b[0]]
    tf = read_tracks(block)
    assert tf.frame is not None
    assert len(tf.tables) == 1
    assert tf.tables[0].track_id.tolist() == [12]

"""Where the shared sample captures live, and a skip that says so when they are absent.

The samples are the workplace's ``shared/data`` folder (real captures from public projects, some
under licences that keep them out of this repository). Looked up in order:
``$DRONEWALL_SHARED_DATA``, ``../shared/data`` beside the checkout, ``/work/shared/data``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_CANDIDATES = [
    *(
        [Path(os.environ["DRONEWALL_SHARED_DATA"])]
        if os.environ.get("DRONEWALL_SHARED_DATA")
        else []
    ),
    Path(__file__).resolve().parents[2].parent / "shared" / "data",
    Path("/work/shared/data"),
]
SHARED_DATA = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0])


def shared(*parts: str) -> Path:
    """A path in the shared data; skips the test, saying why, when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"shared sample data not present: {path} (set DRONEWALL_SHARED_DATA to the folder)"
        )
    return path

"""The import rules of docs/architecture.md, enforced.

Lower layers never import higher ones, and the numeric core never imports FastAPI, pydantic or
SQLAlchemy (pydantic is allowed only in modules named ``schema.py``: file formats are an edge).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dronewall"

#: package -> the dronewall packages it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "geo": {"core"},
    "world": {"core", "geo"},
    "sensors": {"core", "geo", "world"},
    "sim": {"core", "geo", "world", "sensors"},
    "tracking": {"core", "geo"},
    "formats": {"core", "geo"},
    "adapters": {"core", "geo", "world", "formats", "assess"},
    "metrics": {"core"},
    "assess": {"core", "geo", "world"},
    "respond": {"core", "geo", "world", "assess"},
    "picture": {"core", "geo", "world"},
    "report": {"core", "geo", "world", "picture"},
    "pipeline": {
        "core",
        "geo",
        "world",
        "sensors",
        "sim",
        "tracking",
        "metrics",
        "assess",
        "respond",
        "picture",
        "report",
        "formats",
        "adapters",
    },
    # Monte Carlo campaigns: many seeded runs of the pipeline on Dask.
    "campaign": {"core", "world", "sim", "pipeline", "metrics"},
    # The picture service (an edge: FastAPI, pydantic, SQLAlchemy): serves live and replayed runs.
    "service": {
        "core",
        "geo",
        "world",
        "sensors",
        "sim",
        "tracking",
        "metrics",
        "assess",
        "respond",
        "picture",
        "report",
        "formats",
        "adapters",
        "pipeline",
    },
}
NUMERIC_CORE = {"core", "geo", "sensors", "sim", "tracking", "metrics", "assess", "respond"}
FORBIDDEN_IN_CORE = {"fastapi", "pydantic", "sqlalchemy", "starlette", "uvicorn"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


def test_every_subpackage_has_a_rule() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(ALLOWED) | {"cli"}, f"no import rule for {packages - set(ALLOWED)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_layering(path: Path) -> None:
    rel = path.relative_to(SRC)
    if len(rel.parts) == 1:  # top-level modules (cli, __init__, __main__) sit above everything
        return
    package = rel.parts[0]
    bad = []
    for line, name in _imports(path):
        parts = name.split(".")
        if parts[0] == "dronewall" and len(parts) > 1:
            target = parts[1]
            if target != package and target not in ALLOWED[package]:
                bad.append(f"{rel}:{line} imports dronewall.{target}")
        pydantic_edge = parts[0] == "pydantic" and path.name == "schema.py"
        if package in NUMERIC_CORE and parts[0] in FORBIDDEN_IN_CORE and not pydantic_edge:
            bad.append(f"{rel}:{line} (numeric core) imports {parts[0]}")
    assert not bad, "import rules of docs/architecture.md broken:\n" + "\n".join(bad)

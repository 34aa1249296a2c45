"""Regenerate the SAPIENT (BSI Flex 335 v2.0) protobuf bindings committed in dronewall.

The ``.proto`` files live in ``src/dronewall/adapters/sapient/proto/sapient_msg/`` (copied
unchanged from dstl/BSI-Flex-335-v2-Test-Harness, see ``PROVENANCE.md`` there). This script
compiles them with ``grpcio-tools`` (its bundled ``protoc``), writes ``*_pb2.py`` and ``*_pb2.pyi``
beside them, and rewrites the generated ``from sapient_msg ...`` imports to the package path
``dronewall.adapters.sapient.proto.sapient_msg`` so that the bindings load without putting a
top-level ``sapient_msg`` package on ``sys.path``.

Usage::

    .venv/bin/python tools/gen_sapient_proto.py            # regenerate in place
    .venv/bin/python tools/gen_sapient_proto.py --out DIR  # write to DIR instead (for checks)

The test ``tests/adapters/test_adapters_sapient.py::test_committed_bindings_match_the_protos``
compiles the same files into a temporary directory and compares the serialized
``FileDescriptorProto`` of every file with the committed module's, so the bindings cannot drift.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "src" / "dronewall" / "adapters" / "sapient" / "proto"
PACKAGE = "dronewall.adapters.sapient.proto"
HEADER = "# mypy: ignore-errors\n# ruff: noqa\n"


def proto_files(root: Path = PROTO_ROOT) -> list[Path]:
    """The ``.proto`` files under ``root/sapient_msg``, relative to ``root``, sorted."""
    return sorted(p.relative_to(root) for p in (root / "sapient_msg").rglob("*.proto"))


def compile_protos(src_root: Path, out_dir: Path, *, pyi: bool = True) -> list[Path]:
    """Compile every ``.proto`` under ``src_root/sapient_msg`` into ``out_dir``.

    Returns the generated files (``*_pb2.py`` and, with ``pyi``, ``*_pb2.pyi``), with their
    imports rewritten to the dronewall package path. Raises ``RuntimeError`` if protoc fails.
    """
    import grpc_tools
    from grpc_tools import protoc

    include = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    out_dir.mkdir(parents=True, exist_ok=True)
    args = ["protoc", f"-I{src_root}", f"-I{include}", f"--python_out={out_dir}"]
    if pyi:
        args.append(f"--pyi_out={out_dir}")
    args += [str(p) for p in proto_files(src_root)]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed: {' '.join(args)}")
    generated = sorted(out_dir.rglob("*_pb2.py*"))
    for path in generated:
        text = path.read_text(encoding="utf-8")
        text = text.replace("from sapient_msg.", f"from {PACKAGE}.sapient_msg.")
        text = text.replace("from sapient_msg import", f"from {PACKAGE}.sapient_msg import")
        text = HEADER + text
        path.write_text(text, encoding="utf-8")
    return generated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="output directory (default: in place)"
    )
    parser.add_argument("--no-format", action="store_true", help="do not run ruff format")
    ns = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generated = compile_protos(PROTO_ROOT, out)
        dest = ns.out if ns.out is not None else PROTO_ROOT
        for path in generated:
            target = dest / path.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            init = target.parent / "__init__.py"
            if not init.exists():
                init.write_text(
                    '"""Generated SAPIENT bindings (see tools/gen_sapient_proto.py)."""\n'
                )
        written = [dest / p.relative_to(out) for p in generated]
    venv_ruff = ROOT / ".venv" / "bin" / "ruff"
    ruff = str(venv_ruff) if venv_ruff.exists() else shutil.which("ruff")
    if not ns.no_format and ruff is not None:
        subprocess.run([ruff, "format", "--quiet", *map(str, written)], check=False)
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

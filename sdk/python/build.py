#!/usr/bin/env python3
"""Builds an smshost connector written in Python into a WebAssembly
component with componentize-py.

    python3 build.py --src DIR --wit WIT_DIR --out FILE.wasm [--stage DIR] [--stubs DIR] [--componentize-py PATH]

DIR holds the connector: ``connector.py`` (the module defining
``class Connector``), its other ``.py`` modules, ``README.md`` and
``example-config.json``. The build copies them into a staging folder
(default: next to --out) with ``smshost_connector.py`` (the helper module
beside this script) and ``generated.py``, which holds the README and the
example config as strings, so the component embeds them. --stubs writes
the generated Python bindings of the WIT there (for editors and type
checkers). componentize-py is taken from --componentize-py, else from PATH.
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def fail(message):
    print(f"build.py: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description="Build an smshost connector written in Python.")
    parser.add_argument("--src", required=True, type=Path)
    parser.add_argument("--wit", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--stage", type=Path)
    parser.add_argument("--stubs", type=Path)
    parser.add_argument("--componentize-py", dest="tool", default=shutil.which("componentize-py"))
    args = parser.parse_args()

    src, out, wit = args.src.resolve(), args.out.resolve(), args.wit.resolve()
    stage = (args.stage or out.with_name(out.stem + ".stage")).resolve()
    if not args.tool:
        fail("componentize-py not found: `pip install componentize-py==0.25.1` or pass --componentize-py")
    readme, example = src / "README.md", src / "example-config.json"
    for needed in (src / "connector.py", readme, example):
        if not needed.is_file():
            fail(f"missing {needed}")
    try:
        json.loads(example.read_text())
    except ValueError as error:
        fail(f"{example} is not valid JSON: {error}")

    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    for module in src.glob("*.py"):
        shutil.copy(module, stage / module.name)
    if not (stage / "smshost_connector.py").exists():
        shutil.copy(HERE / "smshost_connector.py", stage / "smshost_connector.py")
    (stage / "generated.py").write_text(
        '"""Written by build.py from README.md and example-config.json; do not edit."""\n\n'
        f"README = {json.dumps(readme.read_text())}\n"
        f"EXAMPLE_CONFIG = {json.dumps(example.read_text().strip())}\n"
    )

    world = ["-d", str(wit), "-w", "sms-connector"]
    if args.stubs:
        shutil.rmtree(args.stubs, ignore_errors=True)
        run([args.tool, *world, "bindings", str(args.stubs)])
    out.parent.mkdir(parents=True, exist_ok=True)
    run([args.tool, "-q", *world, "componentize", "connector", "-p", str(stage), "-o", str(out)])


def run(command):
    finished = subprocess.run(command)
    if finished.returncode != 0:
        fail(f"{Path(command[0]).name} failed (exit {finished.returncode})")


if __name__ == "__main__":
    main()

"""The wheel: the grammar ships inside it and the command works from any directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_grammar_and_runs_elsewhere(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("autodiff_cli-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "autodiff = autodiff_cli.cli.start:run" in z.read(entry_points).decode()
    assert "autodiff_cli/grammars/expr.lark" in names
    # Import the package from the wheel alone, in a directory with no grammars/ beside it.
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    proc = subprocess.run(
        [sys.executable, "-m", "autodiff_cli", "eval", "a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3", "--format", "json"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["gradients"] == {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0}
    origin = subprocess.run([sys.executable, "-c", "import autodiff_cli; print(autodiff_cli.__file__)"],
                            cwd=workdir, env=env, capture_output=True, text=True, timeout=60).stdout
    assert origin.startswith(str(wheel))


def test_plot_works_from_the_wheel_without_extras(tmp_path):
    """`pip install .` gives every command: plot's matplotlib is a dependency, not an extra."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("autodiff_cli-*.whl")
    with zipfile.ZipFile(wheel) as z:
        metadata = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    required = {re.match(r"[A-Za-z0-9_.-]+", line.split(":", 1)[1].strip()).group().lower()
                for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    assert {"typer", "lark", "rich", "graphviz", "numpy", "matplotlib"} <= required
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    proc = subprocess.run([sys.executable, "-m", "autodiff_cli", "plot", "3*x**2 - 4*x + 5", "--grid", "x=-5:5",
                           "-o", "f.png"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    png = (workdir / "f.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") >= 400  # width in pixels

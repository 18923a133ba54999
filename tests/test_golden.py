"""Golden files for the lecture's expression: the DOT graph and the JSON result
are the same bytes in every process (deterministic node names and key order),
and the golden files themselves hold the lecture's numbers, derived by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
LECTURE = ["e = c*d; f = b + e; L = a*f", "a=-2", "b=10", "c=2", "d=-3"]


def _autodiff(*args: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "random"}
    return subprocess.run([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, timeout=120).stdout


def test_dot_is_golden_in_every_process():
    golden = (GOLDEN / "lecture.dot").read_bytes()
    for _ in range(2):  # two processes, two hash seeds
        assert _autodiff("graph", *LECTURE, "--format", "dot", "-o", "-") == golden


def test_json_is_golden_in_every_process():
    golden = (GOLDEN / "lecture.json").read_bytes()
    assert _autodiff("eval", *LECTURE, "--all", "--trace", "--hessian", "--format", "json") == golden


def test_the_golden_files_hold_the_lecture():
    # L = a(b + cd) at a=-2, b=10, c=2, d=-3, by hand: e = -6, f = 4, L = -8;
    # dL/da = f = 4, dL/db = dL/de = a = -2, dL/dc = a*d = 6, dL/dd = a*c = -4.
    data = json.loads((GOLDEN / "lecture.json").read_text())
    assert data["value"] == -8.0
    assert data["gradients"] == {"c": 6.0, "d": -4.0, "b": -2.0, "a": 4.0}
    assert data["nodes"] == {"e": {"value": -6.0, "gradient": -2.0}, "f": {"value": 4.0, "gradient": -2.0},
                             "L": {"value": -8.0, "gradient": 1.0}}
    # Second derivatives of ab + acd: d2/da db = 1, d2/da dc = d, d2/da dd = c, d2/dc dd = a, the rest 0.
    h = data["hessian"]
    assert (h["a"]["b"], h["a"]["c"], h["a"]["d"], h["c"]["d"]) == (1.0, -3.0, 2.0, -2.0)
    assert all(h[n][n] == 0.0 for n in "abcd") and all(h[r][c] == h[c][r] for r in h for c in h)
    assert [step["node"] for step in data["trace"]] == ["L", "f", "e"]  # reverse topological order
    dot = (GOLDEN / "lecture.dot").read_text()
    for label in ("{ a | value: -2.0000 | gradient: 4.0000 }", "{ e | value: -6.0000 | gradient: -2.0000 }",
                  "{ L | value: -8.0000 | gradient: 1.0000 }", "{ d | value: -3.0000 | gradient: -4.0000 }"):
        assert label in dot
    assert dot.count("_op [label=") == 3 and "rankdir=LR" in dot

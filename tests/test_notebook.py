"""The lecture in a notebook: examples/lecture.ipynb run by a real Jupyter
kernel with no system Graphviz, the seed notebook's own ``Value`` cells, and
the Jupyter display of ``Value``, ``Expression`` and ``Evaluation``."""

from __future__ import annotations

import ast
import os
import re
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autodiff_cli import Value, parse
from autodiff_cli.base.errors import UsageError
from autodiff_cli.core.engine import topological_order
from autodiff_cli.draw import notebook as nb_display
from autodiff_cli.draw.graph import nodes_to_dot
from autodiff_cli.draw.render import RenderError

from conftest import need_dot

ROOT = Path(__file__).resolve().parent.parent
LECTURE_NOTEBOOK = ROOT / "examples" / "lecture.ipynb"
SVG = "{http://www.w3.org/2000/svg}"
HAS_WASM = sys.version_info >= (3, 11)  # pyproject installs the WebAssembly Graphviz from 3.11 on


def svg_texts(svg: str | bytes) -> dict[str, list[str]]:
    """Graphviz node name -> the texts drawn in it (the SVG parsed as XML)."""
    root = ET.fromstring(svg)
    nodes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            nodes[g.find(f"{SVG}title").text] = [t.text.strip() for t in g.iter(f"{SVG}text") if t.text]
    return nodes


def records(svg: str | bytes) -> list[tuple[str, str, str]]:
    """The value nodes as drawn, sorted: (label, "value: ...", "gradient: ...");
    the label is "" for an unnamed intermediate."""
    out = []
    for texts in svg_texts(svg).values():
        numbers = [t for t in texts if t.startswith(("value:", "gradient:"))]
        if numbers:
            label = "" if texts[0].startswith("value:") else texts[0]
            out.append((label, *numbers))
    return sorted(out)


def svg_of(data: dict) -> str:
    """The SVG a display bundle draws: its own image, or inline in its HTML (a bare Value: its repr, then its graph)."""
    if "image/svg+xml" in data:
        return data["image/svg+xml"]
    page = data["text/html"]
    return page[page.index("<svg"):]


def table(**nodes: tuple[float, float]) -> list[tuple[str, str, str]]:
    """What records() should read, from label=(value, gradient)."""
    return sorted((label, f"value: {v:.4f}", f"gradient: {g:.4f}") for label, (v, g) in nodes.items())


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


# ---------------------------------------------------------------------------
# examples/lecture.ipynb in a real kernel


@pytest.fixture(scope="module")
def executed_lecture(tmp_path_factory):
    """The lecture notebook executed by an ipykernel whose PATH has no ``dot``."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if not HAS_WASM:
        pytest.skip("drawing without dot needs the WebAssembly Graphviz (Python 3.11+)")
    empty = tmp_path_factory.mktemp("empty-bin")
    env = dict(os.environ)
    env["PATH"] = str(empty)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    assert shutil.which("dot", path=env["PATH"]) is None
    notebook = nbformat.read(LECTURE_NOTEBOOK, as_version=4)
    workdir = tmp_path_factory.mktemp("run")  # a file the notebook might write lands here, not in examples/
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    client.execute(env=env)  # raises CellExecutionError on any error in a cell
    return notebook, time.perf_counter() - start


def tagged(notebook, tag: str):
    cells = [c for c in notebook.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r}"
    return cells[0]


def result(cell) -> dict:
    """The execute_result of a cell (what its last line showed)."""
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1, cell.source
    return results[0].data


def literal(cell):
    return ast.literal_eval(result(cell)["text/plain"])


def test_lecture_notebook_graph_cells_are_svg(executed_lecture):
    notebook, seconds = executed_lecture
    graph_cells = [c for c in notebook.cells if "graph" in c.get("metadata", {}).get("tags", [])]
    assert len(graph_cells) == 7
    for cell in graph_cells:
        assert "image/svg+xml" in result(cell), cell.source
        svg_texts(result(cell)["image/svg+xml"])  # well-formed SVG
    assert seconds < 30


def test_lecture_notebook_draws_the_lectures_numbers(executed_lecture):
    notebook, _ = executed_lecture

    def drawn(tag):
        return records(result(tagged(notebook, tag))["image/svg+xml"])

    lecture = {"a": -2.0, "b": 10.0, "c": 2.0, "d": -3.0, "cd": -6.0, "b+cd": 4.0, "a(b+cd)": -8.0}
    assert drawn("graph-L-before") == table(**{k: (v, 0.0) for k, v in lecture.items()})
    grads = {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0, "cd": -2.0, "b+cd": -2.0, "a(b+cd)": 1.0}
    assert drawn("graph-L-after") == table(**{k: (v, grads[k]) for k, v in lecture.items()})
    assert drawn("graph-dL") == table(**{"a(b+cd)": (-8.0, 1.0)})
    # a*b + c: the intermediates unnamed, as in the lecture
    assert drawn("graph-abc") == sorted([*table(a=(2.0, 0.0), b=(-3.0, 0.0), c=(10.0, 0.0)),
                                         ("", "value: -6.0000", "gradient: 0.0000"),
                                         ("", "value: 4.0000", "gradient: 0.0000")])
    # y = a*b + c evaluated: dy/da = b = -3, dy/db = a = 2, dy/dc = 1; the unnamed result labelled "output",
    # the intermediate by its text (a parsed expression has one)
    assert drawn("graph-y") == sorted([*table(a=(2.0, -3.0), b=(-3.0, 2.0), c=(10.0, 1.0)),
                                       ("a*b", "value: -6.0000", "gradient: 1.0000"),
                                       ("output", "value: 4.0000", "gradient: 1.0000")])
    # the lecture from text: the statements' names label the intermediates
    assert drawn("graph-lecture") == table(a=(-2.0, 4.0), b=(10.0, -2.0), c=(2.0, 6.0), d=(-3.0, -4.0),
                                           e=(-6.0, -2.0), f=(4.0, -2.0), L=(-8.0, 1.0))
    # 3x^2 - 4x + 5 parsed: its structure only
    texts = [t for ts in svg_texts(result(tagged(notebook, "graph-f"))["image/svg+xml"]).values() for t in ts]
    assert {"x", "3", "4", "5", "2", "**", "*", "-", "+"} <= set(texts)
    assert not any(t.startswith(("value:", "gradient:")) for t in texts)


def test_lecture_notebook_computes_the_lectures_numbers(executed_lecture):
    notebook, _ = executed_lecture
    assert "image/png" in tagged(notebook, "plot").outputs[-1].data  # the plot of 3x^2 - 4x + 5
    slope = float(result(tagged(notebook, "numerical-derivative"))["text/plain"])
    assert abs(slope - 14.0) < 1e-4 and slope != 14.0  # approximately, as the lecture shows
    assert literal(tagged(notebook, "f-at-3")) == (20.0, {"x": 14.0})
    slopes = literal(tagged(notebook, "slopes"))
    assert slopes.keys() == {"a", "b", "c"}
    for name, want in {"a": -3.0, "b": 2.0, "c": 1.0}.items():
        assert abs(slopes[name] - want) < 1e-4
    assert literal(tagged(notebook, "y-gradients")) == {"a": -3.0, "b": 2.0, "c": 1.0}
    printed = "".join(o.text for o in tagged(notebook, "arithmetic").outputs if o.output_type == "stream")
    assert [float(x) for x in re.findall(r"data=([-0-9.e]+)", printed)] == [9.5, -4.5, 17.5, 2.5 / 7.0]
    assert literal(tagged(notebook, "attributes")) == (4.0, 0.0, "add", [-6.0, 10.0])
    assert literal(tagged(notebook, "L-gradients")) == {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0, "cd": -2.0,
                                                        "b+cd": -2.0, "a(b+cd)": 1.0}
    value, gradients, nodes = literal(tagged(notebook, "lecture-numbers"))
    assert value == -8.0
    assert gradients == {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0}
    assert nodes == {"e": (-6.0, -2.0), "f": (4.0, -2.0), "L": (-8.0, 1.0)}
    checks = literal(tagged(notebook, "check"))
    assert {n: (analytic, ok) for n, (analytic, _, ok) in checks.items()} == {
        "a": (4.0, True), "b": (-2.0, True), "c": (6.0, True), "d": (-4.0, True)}
    assert literal(tagged(notebook, "diff-f")) == {"x": "6*x - 4"}
    derivatives = literal(tagged(notebook, "diff-lecture"))
    assert derivatives.keys() == {"a", "b", "c", "d"}
    for name, text in derivatives.items():  # each printed derivative, evaluated, is the gradient
        got = parse(text).evaluate({k: v for k, v in {"a": -2, "b": 10, "c": 2, "d": -3}.items()
                                    if k in parse(text).variables}).value
        assert got == {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0}[name]


def test_lecture_notebook_is_committed_with_its_outputs():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(LECTURE_NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    graphs = [c for c in notebook.cells if "graph" in c.get("metadata", {}).get("tags", [])]
    assert graphs and all(any("image/svg+xml" in o.get("data", {}) for o in c.outputs) for c in graphs)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every code cell run, in order"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))


# ---------------------------------------------------------------------------
# The seed notebook's own cells (../shared/seeds/000_49eddf92779951be.txt), each
# cell that uses the lecture's Value, copied as they are; only the import differs.

SEED_IMPORT = "from autodiff_cli import Value"
SEED_CELLS = [
    '''a = Value(3.14)
print(a)''',
    '''a = Value(2.5)
b = Value(7.0)
print(a + b)
print(a - b)
print(a * b)
print(a / b)''',
    '''a = Value(2.0)
b = Value(-3.0)
c = Value(10.0)
(a*b+c)''',
    '''a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
(a*b+c).render_graph()''',
    '''a = Value(-2.0, label="a")
b = Value(10.0, label="b")
c = Value(2.0, label="c")
d = Value(-3.0, label="d")
e = c*d; e.label = "cd"
f = b+e; f.label = "b+cd"
L = a*f; L.label = "a(b+cd)"
L.render_graph()''',
    '''a = Value(-2.0, label="a")
b = Value(10.0, label="b")
c = Value(2.0, label="c")
d = Value(-3.0, label="d")
e = c*d; e.label = "cd"
f = b+e; f.label = "b+cd"
L = a*f; L.label = "a(b+cd)"
L.render_graph()''',
    '''Value(-8.0, label="a(b+cd)", gradient=1.0).render_graph()''',
    '''abcd = (Value(4, label="b+cd", gradient=-2) * Value(-2, label="a")); abcd.label = "a(b+cd)"
abcd.render_graph()''',
]


def run_cell(source: str, namespace: dict) -> object:
    """Run a cell as IPython does: every statement, and the last one's value if it is an expression."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)


def test_seed_notebook_value_cells_run_and_draw(renderer, capsys):
    formatters = pytest.importorskip("IPython.core.formatters")
    display = formatters.DisplayFormatter()  # what Jupyter calls on a cell's result
    namespace: dict = {}
    exec(SEED_IMPORT, namespace)
    shown = []
    for source in SEED_CELLS:
        value = run_cell(source, namespace)
        if value is not None:
            data, _ = display.format(value)
            assert "image/svg+xml" in data or "<svg" in data.get("text/html", ""), source
            shown.append(records(svg_of(data)))
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["Value(data=3.14, grad=0.0)", "Value(data=9.5, grad=0.0)", "Value(data=-4.5, grad=0.0)",
                       "Value(data=17.5, grad=0.0)", f"Value(data={2.5 / 7.0!r}, grad=0.0)"]
    unnamed = [("", "value: -6.0000", "gradient: 0.0000"), ("", "value: 4.0000", "gradient: 0.0000")]
    assert shown[0] == sorted(table(**{"": (2.0, 0.0)}) + table(**{"": (-3.0, 0.0)}) + table(**{"": (10.0, 0.0)})
                              + unnamed)  # (a*b+c) with no labels: the cell shows its graph
    assert shown[1] == sorted(table(a=(2.0, 0.0), b=(-3.0, 0.0), c=(10.0, 0.0)) + unnamed)
    assert shown[2] == shown[3] == table(a=(-2.0, 0.0), b=(10.0, 0.0), c=(2.0, 0.0), d=(-3.0, 0.0), cd=(-6.0, 0.0),
                                         **{"b+cd": (4.0, 0.0), "a(b+cd)": (-8.0, 0.0)})
    assert shown[4] == table(**{"a(b+cd)": (-8.0, 1.0)})
    assert shown[5] == table(a=(-2.0, 0.0), **{"b+cd": (4.0, -2.0), "a(b+cd)": (-8.0, 0.0)})
    output = namespace["L"]
    output.backward()  # the step the lecture goes on to do by hand
    assert {v.label: v.gradient for v in topological_order(output)} == {
        "a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0, "cd": -2.0, "b+cd": -2.0, "a(b+cd)": 1.0}


# ---------------------------------------------------------------------------
# Value's lecture names and render_graph


def test_lecture_names_are_the_same_fields():
    v = Value(2.0, label="a")
    assert (v.value, v.gradient, v.operation, v.children, v.label) == (2.0, 0.0, "var", (), "a")
    v.value, v.gradient = 3.0, 0.5
    assert (v.data, v.grad) == (3.0, 0.5)
    v.data, v.grad, v.op = 4.0, 1.5, "const"
    assert (v.value, v.gradient, v.operation) == (4.0, 1.5, "const")
    # no new field per node: the aliases are the slots' own descriptors
    assert Value.__slots__ == ("children", "data", "grad", "label", "needs_grad", "op")
    assert Value.value is Value.data and Value.gradient is Value.grad and Value.operation is Value.op
    g = Value(4, label="b+cd", gradient=-2)
    assert g.grad == -2.0 and type(g.grad) is float and type(g.data) is float


def test_children_are_ordered_and_keep_both_edges():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    assert (a - b).children == (a, b) and (b - a).children == (b, a)
    assert (a / b).value == 2.0 / -3.0 and (a / b).operation == "div"
    square = a * a
    assert square.children == (a, a)
    dot = square.render_graph().source
    assert dot.count("n0 -> n1_op") == 2  # both edges drawn
    square.backward()
    assert a.grad == 4.0


def test_render_graph_is_deterministic_and_reuses_to_dot():
    def build():
        a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
        return a * b + c

    first, second = build().render_graph(), build().render_graph()
    assert first.source == second.source
    out = build()
    assert out.render_graph().source == nodes_to_dot(topological_order(out), out, stacked=True)
    assert re.findall(r"^\s*(n\d+) \[", first.source, re.M) == ["n0", "n1", "n2", "n3", "n4"]
    # the lecture's record, left to right: its fields one above another, as the seed's render_graph has them
    assert 'n0 [label="a | value: 2.0000 | gradient: 0.0000"' in first.source
    assert "rankdir=LR" in first.source
    # top to bottom, braces turn the fields back into a column; the command's records stay side by side
    assert 'n0 [label="{ a | value: 2.0000 | gradient: 0.0000 }"' in build().render_graph(rankdir="TB").source
    assert 'n0 [label="{ a | value: 2.0000 | gradient: 0.0000 }"' in nodes_to_dot(topological_order(out), out)


def test_render_graph_is_a_snapshot():
    a, b = Value(3.0, label="a"), Value(4.0, label="b")
    out = a * b
    before = out.render_graph()
    out.backward()
    after = out.render_graph()
    assert "gradient: 4.0000" not in before.source and "gradient: 4.0000" in after.source


def test_numbers_mixed_in_are_labelled_by_value():
    x = Value(2.0, label="x")
    y = 3 * x + 0.5
    source = y.render_graph().source
    assert '[label=3 ' in source and '[label=0.5 ' in source


def test_save_by_suffix(tmp_path, renderer):
    a, b = Value(-2.0, label="a"), Value(4.0, label="b+cd")
    out = a * b
    out.label = "a(b+cd)"
    out.backward()
    graph = out.render_graph()
    svg_path = graph.save(tmp_path / "f.svg")
    assert records(svg_path.read_bytes()) == table(a=(-2.0, 4.0), **{"b+cd": (4.0, -2.0), "a(b+cd)": (-8.0, 1.0)})
    assert graph.save(tmp_path / "f.dot").read_text() == graph.source == str(graph)
    assert graph.save(tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")  # with dot, or resvg
    if renderer == "dot":
        assert graph.pipe("pdf").startswith(b"%PDF")
    else:
        with pytest.raises(UsageError, match="needs Graphviz's 'dot'"):
            graph.save(tmp_path / "f.pdf")
        assert not (tmp_path / "f.pdf").exists()
    with pytest.raises(UsageError, match="suffix"):
        graph.save(tmp_path / "f.txt")
    source = graph.to_graphviz()  # the graphviz package's own object
    assert source.source == graph.source


def test_display_of_value_expression_and_evaluation(renderer):
    formatters = pytest.importorskip("IPython.core.formatters")
    display = formatters.DisplayFormatter()
    expr = parse("e = c*d; f = b + e; L = a*f")
    data, _ = display.format(expr)
    structure = [t for ts in svg_texts(data["image/svg+xml"]).values() for t in ts]
    assert {"a", "b", "c", "d", "e", "f", "L", "*", "+"} <= set(structure)
    assert not any(t.startswith("value:") for t in structure)
    assert data["text/plain"] == repr(expr)

    evaluation = expr.evaluate({"a": -2, "b": 10, "c": 2, "d": -3})
    expr.evaluate({"a": 1, "b": 1, "c": 1, "d": 1})  # the expression moves on; the evaluation's drawing does not
    data, _ = display.format(evaluation)
    assert records(data["image/svg+xml"]) == table(a=(-2.0, 4.0), b=(10.0, -2.0), c=(2.0, 6.0), d=(-3.0, -4.0),
                                                   e=(-6.0, -2.0), f=(4.0, -2.0), L=(-8.0, 1.0))
    assert "value -8.0" in data["text/plain"]

    a = Value(2.0, label="a")
    data, _ = display.format(a * a)
    assert data["text/plain"] == "Value(data=4.0, grad=0.0)"
    assert data["text/html"].startswith("<pre>Value(data=4.0, grad=0.0)</pre>")  # the repr shown with the graph
    assert records(svg_of(data)) == [("", "value: 4.0000", "gradient: 0.0000"),
                                              ("a", "value: 2.0000", "gradient: 0.0000")]


def test_too_big_to_draw_is_a_summary_and_quick(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("no DOT may be made for a graph too big to draw")

    monkeypatch.setattr(nb_display, "nodes_to_dot", fail)
    monkeypatch.setattr(nb_display, "to_dot", fail)
    x = Value(0.5, label="x")
    y = x
    for _ in range(30_000):
        y = y * 1.0 + 0.0
    start = time.perf_counter()
    bundle = y.render_graph()._repr_mimebundle_()
    assert time.perf_counter() - start < 5
    assert list(bundle) == ["text/plain"]
    assert "180,001 Graphviz nodes" in bundle["text/plain"] and "not drawn" in bundle["text/plain"]
    assert "120,001 values, 60,000 operations" in bundle["text/plain"]
    assert y._repr_mimebundle_() == {"text/plain": f"{y!r}\n(120,001 values below it, more than the 60 a cell draws: "
                                                   ".render_graph() draws them)"}

    text = " + ".join(f"x{i}*w{i}" for i in range(1000))
    expr = parse(text)
    assert list(expr._repr_mimebundle_()) == ["text/plain"]
    evaluation = expr.evaluate({n: 1.0 for n in expr.variables})
    bundle = evaluation._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "value 1000.0" in bundle["text/plain"]


def test_a_failed_drawing_is_a_message_not_an_error(monkeypatch):
    import autodiff_cli.draw.render as render_module

    def broken(source, fmt, timeout=None):
        raise RenderError("the WebAssembly Graphviz could not draw this graph (call stack exhausted)")

    monkeypatch.setattr(render_module, "render", broken)
    bundle = (Value(1.0, label="a") + 2)._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "not drawn" in bundle["text/plain"] and "call stack exhausted" in bundle["text/plain"]


def test_chain_at_the_display_limit_draws_without_dot(no_dot):
    # The deepest graphs a notebook draws inline stay within the WebAssembly
    # Graphviz's stack (it fails at about a thousand levels).
    x = Value(0.5, label="x")
    y = x
    for _ in range((nb_display.DISPLAY_LIMIT - 1) // 3):  # each step: a number, a product and its operation
        y = y * 1.0
    assert nb_display.DISPLAY_LIMIT - 3 < len(topological_order(y)) * 3 // 2 + 1 <= nb_display.DISPLAY_LIMIT
    bundle = y.render_graph()._repr_mimebundle_()
    assert "image/svg+xml" in bundle, bundle["text/plain"]


def test_the_tutorials_notebook_example_runs_and_draws(renderer):
    page = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    section = page.split("## 6. In a notebook", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    shown = run_cell(code, namespace)
    assert records(shown._repr_mimebundle_()["image/svg+xml"]) == table(
        a=(-2.0, 4.0), b=(10.0, -2.0), c=(2.0, 6.0), d=(-3.0, -4.0), cd=(-6.0, -2.0),
        **{"b+cd": (4.0, -2.0), "a(b+cd)": (-8.0, 1.0)})


def test_graph_beyond_the_layout_limit_is_made_when_needed(tmp_path):
    from autodiff_cli.draw.graph import MAX_LAYOUT_NODES

    x = Value(0.5, label="x")
    y = x
    for k in range(MAX_LAYOUT_NODES // 3 + 1):  # 3 Graphviz nodes a step: just over the limit
        y = y * 1.0
        y.label = f"y{k}"  # named, so each step is drawn (an unnamed chain of * is drawn as one node)
    graph = y.render_graph()
    assert graph.size > MAX_LAYOUT_NODES and graph._source is None  # no DOT made yet
    assert list(graph._repr_mimebundle_()) == ["text/plain"]
    with pytest.raises(UsageError, match="force=True"):
        graph.save(tmp_path / "big.svg")
    assert not (tmp_path / "big.svg").exists()
    text = graph.save(tmp_path / "big.dot").read_text()
    assert text.count("shape=record") == graph.values and text.count("shape=circle") == graph.operations

"""How the package is built, held as docs/architecture.md states it:
modules in folders that are their layers, each importing only its own layer or those below, so the
imports form a DAG (no cycle hidden in a function-local import); the library
never imports the command-line layer; no module over 400 lines; a lazy import says
why (``# lazily: ...``) and never imports what is loaded anyway by the time it runs."""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autodiff_cli"

FOLDERS = [{"base"}, {"draw"}, {"core"}, {"symbolic", "points"}, {"cli"}]
"""The layers bottom up, as docs/architecture.md lists them: a module's folder is its layer
(``symbolic`` and ``points`` are one layer, two folders that never import each other)."""
LAYERS = [" and ".join(sorted(folders)) for folders in FOLDERS]


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__") or "__init__"


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _type_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:``: imports for annotations, never run."""
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def run_time_imports(module: str, lazy: bool = True) -> set[str]:
    """The package's modules that ``module`` imports when it runs: at the top or
    inside functions (a lazy import is still an import; ``lazy=False``: at the top only),
    not the type-only ones."""
    path = MODULES[module]
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    if module == "__init__":
        package = []
    found: set[str] = set()
    todo = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while todo:
        node = todo.pop()
        if _type_only(node) or (not lazy and isinstance(node, FUNCTIONS)):
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            target = [*base, *(node.module.split(".") if node.module else [])]
            names = [".".join([*target, a.name]) for a in node.names]  # `from ..points import cluster`
            for candidate in [".".join(target), *names]:
                if candidate in MODULES and candidate != module:
                    found.add(candidate)
        todo.extend(ast.iter_child_nodes(node))
    return found


GRAPH = {module: run_time_imports(module) for module in MODULES}


def layer_of(module: str) -> int:
    """The layer is the module's folder: the path says it, no list does."""
    folder = module.split(".")[0]
    for k, folders in enumerate(FOLDERS):
        if folder in folders:
            return k
    raise AssertionError(f"{module} is in no layer's folder: move it into one of {sorted(set().union(*FOLDERS))}")


def test_every_module_lives_in_a_layers_folder():
    loose = [m for m in MODULES if "." not in m and m not in ("__init__", "__main__", *set().union(*FOLDERS))]
    assert not loose, f"modules outside the layers' folders: {loose}"


def test_the_reader_sees_imports_of_every_kind():
    # Top level, inside a function, relative to a subpackage, and `from . import x`.
    assert "autodiff_cli.core.engine" not in GRAPH  # names are relative to the package
    assert "core.engine" in GRAPH["core.expression"]
    assert "draw.notebook" in GRAPH["core.engine"]  # render_graph's lazy import
    assert "cli.spec" in GRAPH["cli.commands"]
    assert "points.cluster" in GRAPH["cli.dask"]  # `from ..points import cluster, scheduler`
    assert "draw.notebook" not in GRAPH["draw.graph"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if "." in m))
def test_every_module_imports_only_its_layer_or_below(module):
    mine = layer_of(module)
    above = {m for m in GRAPH[module] if layer_of(m) > mine}
    assert not above, f"{module} ({LAYERS[mine][0]}) imports {sorted(above)} from a layer above"


def test_the_imports_form_a_dag():
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for start in GRAPH:
        if start in state:
            continue
        path, stack = [start], [iter(sorted(GRAPH[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                cycle = [*path[path.index(nxt):], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(GRAPH[nxt])))


def test_the_library_never_imports_the_command_line_layer():
    cli = len(LAYERS) - 1
    library = [m for m in MODULES if "." in m and layer_of(m) < cli]
    assert len(library) >= 25
    for module in library:
        seen, todo = set(), [module]
        while todo:  # everything it imports, directly or not
            for m in GRAPH[todo.pop()] - seen:
                seen.add(m)
                todo.append(m)
        assert all(layer_of(m) < cli for m in seen), f"{module} reaches {sorted(m for m in seen if layer_of(m) == cli)}"


def test_every_module_is_in_the_table_of_how_it_is_built():
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = page.split("# How it is built", 1)[1].split("\n## ", 1)[0]
    missing = [m for m in MODULES if "." in m and not m.endswith("__init__") and
               f"{m.replace('.', '/')}.py" not in table and f"{m.split('.')[-1]}.py" not in table]
    assert not missing, f"not in docs/architecture.md: {missing}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_400_lines(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= 400, f"{module}: {lines} lines"


PROCESS_STATE = {("signal", "signal"), ("_signal", "signal"), ("gc", "disable"), ("gc", "enable"), ("gc", "freeze"),
                 ("os", "_exit")}
"""Calls that change the whole process: a signal handler, the cyclic collector, the exit."""
STREAMS = {"stdin", "stdout", "stderr"}


def process_state_changes(module: str) -> list[str]:
    """What in ``module`` changes the process's own state: the calls above, and
    assignments to ``sys.stdin``/``stdout``/``stderr``."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and (node.func.value.id, node.func.attr) in PROCESS_STATE:
            found.append(f"line {node.lineno}: {node.func.value.id}.{node.func.attr}()")
        targets = node.targets if isinstance(node, ast.Assign) else []
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "sys" and \
                    t.attr in STREAMS:
                found.append(f"line {node.lineno}: sys.{t.attr} =")
    return found


def test_the_scan_sees_process_state():
    assert any("signal.signal" in c for c in process_state_changes("cli.process"))
    assert any("gc.freeze" in c for c in process_state_changes("cli.process"))
    assert any("sys.stdout =" in c for c in process_state_changes("cli.process"))


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m not in ("cli.process", "cli.start")))
def test_process_state_has_one_home(module):
    # Signal handlers, the garbage collector, the standard streams and the exit live in
    # cli/process.py (and the console script's first instructions in cli/start.py).
    assert not process_state_changes(module), f"{module} changes the process's state: {process_state_changes(module)}"


def width_reads(module: str) -> list[str]:
    """Where ``module`` learns how wide a terminal is: ``COLUMNS``, ``get_terminal_size``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return [f"line {node.lineno}" for node in ast.walk(tree)
            if (isinstance(node, ast.Constant) and node.value == "COLUMNS")
            or (isinstance(node, ast.Attribute) and node.attr == "get_terminal_size")]


def test_the_terminal_width_has_one_home():
    # One rule (console.width_of) for how wide tables, help, the progress bar,
    # terminal plots and messages may be: COLUMNS and the terminal read alike.
    readers = {module: width_reads(module) for module in MODULES if width_reads(module)}
    assert list(readers) == ["cli.console"], readers


def suffix_tables(module: str) -> list[str]:
    """Where ``module`` spells out drawing formats itself: a ``".svg"`` or a ``("svg", ...)``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return [f"line {node.lineno}" for node in ast.walk(tree)
            if (isinstance(node, ast.Dict) and ".svg" in [getattr(k, "value", None) for k in node.keys])
            or (isinstance(node, ast.Tuple) and [getattr(e, "value", None) for e in node.elts[:2]] == ["svg", "png"])]


def test_the_drawing_formats_have_one_table():
    # graph, plot and Graph.save read one table of formats and suffixes (draw/formats.py).
    tables = {module: suffix_tables(module) for module in MODULES if suffix_tables(module)}
    assert list(tables) == ["draw.formats"], tables


# Lazy imports: each says why it is not at the top, and none imports what is loaded anyway.
LAZILY = re.compile(r"#\s*lazily:\s*\S")
PROBE = """import sys
bare = list(sys.modules)
sys.path[:0] = {path!r}
from autodiff_cli.cli.main import main
start = list(sys.modules)
main(["eval", "a*(b+c*d)", "a=1", "b=2", "c=3", "d=4", "--format", "json"])
sys.stdout.write("\\n" + repr((bare, start)) + "\\n")
"""


def function_local_imports(module: str) -> list[ast.Import | ast.ImportFrom]:
    """Every ``import`` inside a function of ``module``, at any depth."""
    found: dict[int, ast.Import | ast.ImportFrom] = {}
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, FUNCTIONS):
            found.update((id(n), n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return sorted(found.values(), key=lambda n: n.lineno)


def imported_names(module: str, node: ast.Import | ast.ImportFrom) -> list[tuple[str, str | None]]:
    """``(module, attribute)`` pairs, absolute: ``from ..base import files`` is
    ``("autodiff_cli.base", "files")``, ``import os.path`` is ``("os.path", None)``."""
    if isinstance(node, ast.Import):
        return [(a.name, None) for a in node.names]
    if not node.level:
        return [(node.module or "", a.name) for a in node.names]
    package = ["autodiff_cli", *module.split(".")[:-1]] if module != "__init__" else ["autodiff_cli"]
    base = package[: len(package) - (node.level - 1)]
    return [(".".join([*base, *([node.module] if node.module else [])]), a.name) for a in node.names]


@functools.lru_cache(maxsize=1)
def loaded_before() -> tuple[frozenset[str], dict[str, int]]:
    """What an ``eval --format json`` run loads, and in which order each module
    finished loading (``-X importtime`` prints a module as it finishes). ``-S``: the
    modules a site's ``.pth`` files load are loaded on this machine, not on every one."""
    result = subprocess.run([sys.executable, "-S", "-X", "importtime", "-c", PROBE.format(path=sys.path)],
                            capture_output=True, text=True, timeout=120, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    bare, start = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    order = {name: -1 for name in bare}
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            order.setdefault(line.split("|")[2].strip(), len(order))
    return frozenset([*bare, *start]), order


ENTRY = "cli.start"
"""The console script's first module, which runs before the command line is loaded."""


def _full(module: str) -> str:
    return "autodiff_cli" if module == "__init__" else f"autodiff_cli.{module}"


@functools.lru_cache(maxsize=1)
def loaded_with() -> dict[str, frozenset[str]]:
    """What importing each module that has lazy imports loads (what it imports at
    its top, directly or not), each in a new interpreter, side by side."""
    code = "import sys\nsys.path[:0] = {path!r}\nimport {module}\nsys.stdout.write(repr(list(sys.modules)))"
    runs = {m: subprocess.Popen([sys.executable, "-S", "-c", code.format(path=sys.path, module=_full(m))],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PACKAGE.parent)
            for m in sorted({m for m, _ in LAZY})}
    found = {}
    for module, run in runs.items():
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err[-2000:]
        found[module] = frozenset(ast.literal_eval(out))
    return found


def always_loaded(module: str) -> set[str]:
    """What is loaded by the time a function of ``module`` can run: the interpreter's
    own modules, what importing the command line loads, what the eval run finished
    loading before ``module``, and what importing ``module`` itself loads."""
    start, order = loaded_before()
    if module == ENTRY:
        start = frozenset(m for m, k in order.items() if k < 0)
    mine = order.get(_full(module))
    before = {m for m, k in order.items() if mine is not None and k < mine}
    return {*start, *before, *loaded_with().get(module, ())}


def loaded_anyway(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The names ``node`` imports that are loaded by the time it runs."""
    always, found = always_loaded(module), []
    for name, attribute in imported_names(module, node):
        sub = f"{name}.{attribute}" if attribute else name
        if sub in always:
            found.append(sub)
        elif attribute and name in always and _find_spec_or_none(sub) is None:  # an attribute of a module
            found.append(name)
    return found


def _find_spec_or_none(name: str) -> object:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


LAZY = [(m, n) for m in sorted(MODULES) for n in function_local_imports(m)]


def test_the_scan_sees_lazy_imports():
    lines = {(m, n.lineno) for m, n in LAZY}
    assert len(LAZY) >= 50
    assert any(m == "core.engine" for m, _ in lines)  # render_graph's
    assert ("os.path", None) in imported_names("cli.commands", ast.parse("import os.path").body[0])
    assert imported_names("cli.dask", ast.parse("from ..points import cluster").body[0]) == \
        [("autodiff_cli.points", "cluster")]
    assert "autodiff_cli.base.errors" in always_loaded("points.inputs")  # loaded with the command line
    assert "os" in always_loaded("draw.graph")
    assert "numpy" in always_loaded("points.parquet")  # through points/batch.py
    assert "autodiff_cli.points.cluster" not in always_loaded("cli.dask")


@pytest.mark.parametrize("module,node", LAZY, ids=[f"{m}:{n.lineno}" for m, n in LAZY])
def test_every_lazy_import_says_why(module, node):
    line = MODULES[module].read_text(encoding="utf-8").splitlines()[node.lineno - 1]
    assert LAZILY.search(line), f"{module}:{node.lineno}: a lazy import says '# lazily: <why>': {line.strip()}"


@pytest.mark.parametrize("module,node", LAZY, ids=[f"{m}:{n.lineno}" for m, n in LAZY])
def test_no_lazy_import_of_what_is_loaded_anyway(module, node):
    anyway = loaded_anyway(module, node)
    assert not anyway, f"{module}:{node.lineno} imports {anyway} lazily, loaded anyway by then: import it at the top"

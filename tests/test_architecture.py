"""How the package is built, held as the README's "How it is built" states it:
modules in folders that are their layers, each importing only its own layer or those below, so the
imports form a DAG (no cycle hidden in a function-local import); the library
never imports the command-line layer; no module over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autodiff_cli"

FOLDERS = [{"base"}, {"draw"}, {"core"}, {"symbolic", "points"}, {"cli"}]
"""The layers bottom up, as the README lists them: a module's folder is its layer
(``symbolic`` and ``points`` are one layer, two folders that never import each other)."""
LAYERS = [" and ".join(sorted(folders)) for folders in FOLDERS]


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__") or "__init__"


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:``: imports for annotations, never run."""
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def run_time_imports(module: str) -> set[str]:
    """The package's modules that ``module`` imports when it runs: at the top or
    inside functions (a lazy import is still an import), not the type-only ones."""
    path = MODULES[module]
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    if module == "__init__":
        package = []
    found: set[str] = set()
    todo = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while todo:
        node = todo.pop()
        if _type_only(node):
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


def test_every_module_is_in_the_readme_table():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("## How it is built", 1)[1].split("\n## ", 1)[0]
    missing = [m for m in MODULES if "." in m and not m.endswith("__init__") and
               f"{m.replace('.', '/')}.py" not in table and f"{m.split('.')[-1]}.py" not in table]
    assert not missing, f"not in the README's 'How it is built': {missing}"


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

"""The walk of one command through the package: the modules it enters (one of
their functions runs; a module's body running at its import does not count, nor
what it runs meanwhile: class bodies, comprehensions, its helpers),
in order of first entry, and every call that climbs back up a layer (a module
calling a function of a layer above its own).

    python bench/walk.py eval "x*2" --grid x=0:10:1 --format csv
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

FOLDERS = [{"base"}, {"draw"}, {"core"}, {"symbolic", "points"}, {"cli"}]  # as tests/test_architecture.py


def layer(module: str) -> int:
    folder = module.split(".")[1] if module.count(".") else ""
    return next((k for k, f in enumerate(FOLDERS) if folder in f), len(FOLDERS))


def main() -> None:
    from autodiff_cli.cli.main import main as run

    entered: list[str] = []
    climbs: list[str] = []

    importing = 0  # module bodies running: what they call (class bodies, comprehensions) is their import too

    def profile(frame, event, arg):
        nonlocal importing
        if frame.f_code.co_name == "<module>":
            importing += (event == "call") - (event == "return")
            return
        if event != "call" or importing:
            return
        module = frame.f_globals.get("__name__", "")
        if not module.startswith("autodiff_cli"):
            return  # the package's own functions
        if module not in entered:
            entered.append(module)
        caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back else ""
        if caller.startswith("autodiff_cli") and layer(module) > layer(caller):
            climbs.append(f"{caller} -> {module}.{frame.f_code.co_name}")

    sys.setprofile(profile)
    with redirect_stdout(io.StringIO()):
        status = run(sys.argv[1:])
    sys.setprofile(None)
    print(f"status {status}; {len(entered)} modules entered:")
    for m in entered:
        print(f"  {m}")
    print(f"{len(set(climbs))} calls that climb a layer" + (":" if climbs else ""))
    for c in dict.fromkeys(climbs):
        print(f"  {c}")


if __name__ == "__main__":
    main()

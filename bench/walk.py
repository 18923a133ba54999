"""The walk of one command through the package: the modules it enters (one of
their functions runs; a module's body running at its import does not count),
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

    def profile(frame, event, arg):
        if event != "call":
            return
        module = frame.f_globals.get("__name__", "")
        if not module.startswith("autodiff_cli") or frame.f_code.co_name == "<module>":
            return  # the package's own functions; a module's body runs once, at its import
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

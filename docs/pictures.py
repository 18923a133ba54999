"""Draw every picture of the README and the documentation again, so none goes stale.

    python docs/pictures.py            all of them, into docs/
    python docs/pictures.py NAME...    only those (for example stepper.png)
    python docs/pictures.py --list     the pictures it makes, one a line

Each picture is made by the installed `autodiff` command as a user would make it
(the graphs by Graphviz's `dot` when it is on PATH), except the notebook's, taken
from the committed notebook's own output, the stepper's, a screenshot of its page
in Chromium (Playwright, from the test extra), and the derivative's, rendered
from `diff --format latex` by matplotlib's mathtext.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LECTURE = ["e = c*d; f = b + e; L = a*f", "a=-2", "b=10", "c=2", "d=-3"]
NEURONS = ["neuron(x, w) = tanh(w*x + b); L = neuron(x1, w1) + neuron(x2, w2)",
           "x1=1", "w1=0.5", "x2=2", "w2=-1", "b=0.1"]
LAYER = ["neuron(w1, w2, b) = tanh(w1*x1 + w2*x2 + b); y1 = neuron(0.5, -1, 0.1); y2 = neuron(-0.3, 0.8, 0)",
         "x1=1", "x2=2", "--of", "y1,y2"]
DERIVATIVE = "(x**2 - y**2)/(x**2 + y**2)"


def autodiff(*args: str) -> str:
    return subprocess.run(["autodiff", *args], check=True, capture_output=True, text=True).stdout


def lecture(out: Path) -> None:
    autodiff("graph", *LECTURE, "-o", str(out))


def neuron_structure(out: Path) -> None:
    autodiff("graph", "L = tanh(w1*x1 + w2*x2 + b)", "-o", str(out))


def layer(out: Path) -> None:
    autodiff("graph", *LAYER, "-o", str(out))


def plot(out: Path) -> None:
    autodiff("plot", "3*x**2 - 4*x + 5", "--grid", "x=-5:5:0.25", "--at", "3", "-o", str(out))


def stepper(out: Path) -> None:
    """The page of the two neurons at step 4, as a reader sees it after pressing the right arrow four times."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory() as scratch:
        page_file = Path(scratch) / "pass.html"
        autodiff("graph", *NEURONS, "-o", str(page_file))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1600, "height": 560})
            page.goto(page_file.as_uri())
            for _ in range(4):
                page.keyboard.press("ArrowRight")
            page.screenshot(path=str(out))
            browser.close()


def notebook(out: Path) -> None:
    subprocess.run([sys.executable, str(HERE.parent / "examples" / "notebook_picture.py")], check=True)
    assert out.exists()


def derivative(out: Path) -> None:
    """The derivative as a slide shows it: the LaTeX `diff` prints, typeset by matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["mathtext.fontset"] = "cm"  # the Computer Modern of a LaTeX slide
    from matplotlib import pyplot

    lines = [line.replace("\\left", "").replace("\\right", "")  # mathtext sizes its own delimiters
             for line in autodiff("diff", DERIVATIVE, "--format", "latex").splitlines()]
    figure = pyplot.figure(figsize=(7, 0.7 * len(lines) + 0.3), dpi=100)
    for k, line in enumerate(lines):
        figure.text(0.03, 1 - (k + 0.7) / (len(lines) + 0.3), f"${line}$", fontsize=18)
    figure.savefig(out, dpi=200, bbox_inches="tight", pad_inches=0.15)
    pyplot.close(figure)


PICTURES = {"lecture.svg": lecture, "neuron-structure.svg": neuron_structure, "layer.svg": layer,
            "plot.png": plot, "stepper.png": stepper, "notebook.svg": notebook, "derivative.png": derivative}


def main(names: list[str]) -> None:
    if names == ["--list"]:
        print("\n".join(PICTURES))
        return
    for name in names or PICTURES:
        PICTURES[name](HERE / name)
        print(f"docs/{name}")


if __name__ == "__main__":
    main(sys.argv[1:])

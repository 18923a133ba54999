"""Draw the README's notebook picture (docs/notebook.svg): one cell of
examples/lecture.ipynb, its code and the graph it showed, as Jupyter lays
them out. The graph is the cell's own committed output, not drawn again.

    python examples/notebook_picture.py [TAG]      (default: graph-L-after)
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
SVG_NS = "http://www.w3.org/2000/svg"
FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
LINE = 19  # code line height, px
PAD = 12


def main(tag: str = "graph-L-after") -> None:
    notebook = json.loads((HERE / "lecture.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if tag in c.get("metadata", {}).get("tags", []))
    code = "".join(cell["source"]).splitlines()
    svg = "".join(next(o for o in cell["outputs"] if o["output_type"] == "execute_result")["data"]["image/svg+xml"])

    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    graph = ET.fromstring(svg)
    # Graphviz sizes in points; the picture is in pixels (1 pt = 4/3 px).
    gw = float(graph.get("width").removesuffix("pt")) * 4 / 3
    gh = float(graph.get("height").removesuffix("pt")) * 4 / 3
    prompt = 84  # the width of "In [14]:"
    width = round(prompt + gw + 2 * PAD)
    code_h = len(code) * LINE + 2 * PAD - 6
    top = PAD
    out_top = top + code_h + PAD
    height = round(out_top + gh + PAD)
    n = cell["execution_count"]
    graph.set("x", f"{prompt + PAD:.1f}")
    graph.set("y", f"{out_top:.1f}")
    graph.set("width", f"{gw:.1f}")
    graph.set("height", f"{gh:.1f}")

    lines = "\n".join(
        f'<text x="{prompt + PAD + 10}" y="{top + PAD + 8 + i * LINE}" font-family="{FONT}" font-size="14" '
        f'fill="#1f2328">{_highlight(line)}</text>' for i, line in enumerate(code))
    prompt_text = f'text-anchor="end" font-family="{FONT}" font-size="13"'
    head = f"""<svg xmlns="{SVG_NS}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{prompt}" y="{top + PAD + 8}" {prompt_text} fill="#303f9f">In [{n}]:</text>
<rect x="{prompt + PAD}" y="{top}" width="{width - prompt - 2 * PAD}" height="{code_h}" rx="3"
      fill="#f5f5f5" stroke="#e0e0e0"/>
{lines}
<text x="{prompt}" y="{out_top + 16}" {prompt_text} fill="#d84315">Out[{n}]:</text>
"""
    body = ET.tostring(graph, encoding="unicode")
    (HERE.parent / "docs" / "notebook.svg").write_text(head + body + "\n</svg>\n", encoding="utf-8")


def _highlight(line: str) -> str:
    """A method call in blue, as a notebook's highlighting shows it."""
    if "." in line and line.endswith("()"):
        obj, method = line.split(".", 1)
        return f'{escape(obj)}.<tspan fill="#0550ae">{escape(method[:-2])}</tspan>()'
    return escape(line)


if __name__ == "__main__":
    main(*sys.argv[1:])

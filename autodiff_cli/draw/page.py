"""The backward pass you can watch: one self-contained HTML page (no network, no
CDN) with the graph's SVG and a stepper through the pass, as the lecture does it
by hand: the output's gradient set to 1, then node after node, each one's local
derivative times the gradient flowing in, added into its inputs.

The page knows nothing of expressions: it gets the SVG Graphviz drew (records
``n0``, ``n1``, ... and operations ``n0_op``, as :mod:`autodiff_cli.draw.graph`
names them) and the steps as data (:func:`autodiff_cli.core.stepper.backward_steps`
makes them), and rewrites the records' ``gradient:`` texts as the reader steps.
Keys: ArrowRight and ArrowLeft a step, Home the start, End the finished pass.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0;
       color: #111827; background: #ffffff; display: flex; flex-direction: column; height: 100vh; }
header { flex: 0 0 auto; padding: 10px 16px; border-bottom: 1px solid #e5e7eb; display: flex; gap: 10px;
         align-items: center; }
header h1 { font-size: 16px; margin: 0 8px 0 0; font-weight: 600; flex: 1 1 auto; min-width: 0;
            white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
header code { font-size: 14px; }
button { font: inherit; white-space: nowrap; flex: none; padding: 4px 12px; border: 1px solid #9ca3af;
         border-radius: 6px; background: #f9fafb; cursor: pointer; }
button:disabled { opacity: 0.4; cursor: default; }
#counter { color: #4b5563; white-space: nowrap; flex: none; }
main { flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column; }
#graph { flex: 1 1 auto; min-height: 0; overflow: auto; padding: 8px; }
#graph svg { max-width: 100%; height: auto; }
#panel { flex: 0 0 auto; border-top: 1px solid #e5e7eb; padding: 10px 16px; background: #f9fafb;
         max-height: 40vh; overflow: auto; }
#what { margin: 0 0 2px 0; }
.keys { margin: 0 0 6px 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 2px 12px 2px 0; text-align: left; }
td.n { text-align: right; }
th { color: #4b5563; font-weight: 500; border-bottom: 1px solid #d1d5db; }
.current > polygon, .current > ellipse, .current > path { stroke: #dc2626 !important; stroke-width: 3px; }
.flowing > polygon, .flowing > path { stroke: #d97706 !important; stroke-width: 2.5px; }
.changed text { fill: #b45309 !important; font-weight: bold; }
.keys { color: #6b7280; font-size: 13px; }
text.step-note { fill: #b45309; font: bold 10px system-ui, Helvetica, Arial, sans-serif; }
"""

_SCRIPT = """
(function () {
  const steps = JSON.parse(document.getElementById("steps").textContent);
  const graph = document.getElementById("graph");
  const nodes = {};  // n3 -> its <g>, by the <title> Graphviz gives it
  graph.querySelectorAll("g.node").forEach(function (g) {
    const title = g.querySelector("title");
    if (title) { nodes[title.textContent.trim()] = g; }
  });
  const texts = {};  // n3 -> its "gradient:" text element, found once
  Object.keys(steps.records).forEach(function (name) {
    const g = nodes[name];
    if (!g) { return; }
    const all = g.querySelectorAll("text");
    for (let i = 0; i < all.length; i++) {
      if (all[i].textContent.indexOf("gradient:") === 0) { texts[name] = all[i]; break; }
    }
  });
  // What each step changes, and what was there before it: a step forward or back
  // touches only its own records, so a big graph steps as fast as a small one.
  const last = steps.states.length;
  const before = [null];
  const now = {};
  steps.states.forEach(function (state) {
    const was = {};
    Object.keys(state.set).forEach(function (name) {
      was[name] = name in now ? now[name] : steps.before;
      now[name] = state.set[name];
    });
    before.push(was);
  });
  function write(changes) {
    Object.keys(changes).forEach(function (name) {
      if (texts[name]) { texts[name].textContent = changes[name]; }
    });
  }
  let at = 0;
  let marked = [];
  let notes = [];
  function mark(state) {
    marked.forEach(function (g) { g.classList.remove("current", "changed"); });
    notes.forEach(function (t) { t.remove(); });
    marked = [];
    notes = [];
    if (!state) { return; }
    [state.node, state.node + "_op"].forEach(function (name) {
      if (nodes[name]) { nodes[name].classList.add("current"); marked.push(nodes[name]); }
    });
    // A graph wider than the window scrolls: keep the step's node in sight.
    if (nodes[state.node]) { nodes[state.node].scrollIntoView({block: "nearest", inline: "center"}); }
    Object.keys(state.set).forEach(function (name) {
      if (nodes[name] && name !== state.node) { nodes[name].classList.add("changed"); marked.push(nodes[name]); }
    });
    // What the step adds to each input's gradient, written beside that input's record.
    const below = {};
    (state.notes || []).forEach(function (note) {
      const g = nodes[note[0]];
      if (!g) { return; }
      const box = g.getBBox();
      below[note[0]] = (below[note[0]] || 0) + 1;
      const t = document.createElementNS("http://www.w3.org/2000/svg", "text");
      t.setAttribute("class", "step-note");
      t.setAttribute("x", box.x + box.width);
      t.setAttribute("y", box.y + box.height + 11 * below[note[0]]);
      t.setAttribute("text-anchor", "end");
      t.textContent = note[1];
      g.appendChild(t);
      notes.push(t);
    });
  }
  function show(k) {
    k = Math.max(0, Math.min(k, last));
    if (k === at + 1) {
      write(steps.states[k - 1].set);
    } else if (k === at - 1) {
      write(before[at]);
    } else if (k !== at) {  // a jump (Home, End): every record from the start
      Object.keys(texts).forEach(function (name) { texts[name].textContent = steps.before; });
      for (let j = 0; j < k; j++) { write(steps.states[j].set); }
    }
    at = k;
    const state = at > 0 ? steps.states[at - 1] : null;
    mark(state);
    document.getElementById("what").innerHTML = state ? state.what : steps.start;
    const rows = document.getElementById("rows");
    rows.innerHTML = "";
    (state ? state.rows : []).forEach(function (row) {
      const tr = document.createElement("tr");
      row.forEach(function (cell, j) {
        const td = document.createElement("td");
        td.textContent = cell;
        if (j > 0) { td.className = "n"; }
        tr.appendChild(td);
      });
      rows.appendChild(tr);
    });
    document.getElementById("table").style.display = state && state.rows.length ? "" : "none";
    document.getElementById("counter").textContent = "step " + at + " of " + last;
    document.getElementById("back").disabled = at === 0;
    document.getElementById("home").disabled = at === 0;
    document.getElementById("next").disabled = at === last;
    document.getElementById("end").disabled = at === last;
  }
  document.getElementById("home").onclick = function () { show(0); };
  document.getElementById("back").onclick = function () { show(at - 1); };
  document.getElementById("next").onclick = function () { show(at + 1); };
  document.getElementById("end").onclick = function () { show(last); };
  document.addEventListener("keydown", function (e) {
    const keys = {"ArrowRight": at + 1, "ArrowLeft": at - 1, "Home": 0, "End": last};
    if (e.key in keys) { e.preventDefault(); show(keys[e.key]); }
  });
  Object.keys(texts).forEach(function (name) { texts[name].textContent = steps.before; });
  show(0);
})();
"""


def page(svg: str, steps: dict[str, Any], title: str) -> str:
    """The page: ``svg`` (Graphviz's drawing) and ``steps``: ``records`` (the
    drawn records that have a gradient field), ``before`` (their text before the
    pass), ``start`` (what the panel says then) and ``states``, one per step, each
    with ``node`` (the record processed, or None), ``set`` (record -> its new
    gradient text), ``what`` (the step in words, HTML) and ``rows`` (the step's
    ``--trace`` rows: input, local derivative, contribution, input's gradient)."""
    svg = svg[svg.index("<svg"):]  # without the XML prologue and DOCTYPE, inline in HTML
    # The drawing shrinks to the window's width, but not below two thirds of its size (Graphviz's width
    # in points, 4/3 px each): a wide graph scrolls rather than shrinking its labels past reading.
    width = re.match(r'<svg[^>]*?\swidth="([\d.]+)pt"', svg)
    smallest = f"#graph svg {{ min-width: {float(width[1]) * 8 / 9:.0f}px; }}" if width else ""
    # <, > and & as JSON escapes: no text of the program (a comment's "<!--<script") can end or bend the <script>.
    data = json.dumps(steps, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — the backward pass</title>
<style>{_STYLE}{smallest}</style>
</head>
<body>
<header>
<h1 title="{html.escape(title)}">The backward pass of <code>{html.escape(title)}</code></h1>
<span id="counter"></span>
<button id="home" title="Home: before the pass">&laquo; start</button>
<button id="back" title="ArrowLeft: a step back">&lsaquo; back</button>
<button id="next" title="ArrowRight: the next step">next &rsaquo;</button>
<button id="end" title="End: the finished pass">end &raquo;</button>
</header>
<main>
<div id="graph">{svg}</div>
<div id="panel">
<p id="what"></p>
<p class="keys">Keys: &rarr; next step, &larr; back, Home the start, End the finished pass.</p>
<table id="table"><thead><tr><th>input</th><th>local derivative</th><th>contribution</th>
<th>input's gradient</th></tr></thead><tbody id="rows"></tbody></table>
</div>
</main>
<script type="application/json" id="steps">{data}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""

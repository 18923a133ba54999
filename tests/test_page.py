"""The page that steps through the backward pass, opened in a real headless browser
(the system's Chromium, driven by Playwright): the keys and buttons step, each state
shows what `eval --trace` prints for that step, the end shows the static graph's own
gradients, and the page asks the network for nothing and logs no error."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

LECTURE = ["a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3"]
NEURON = ["neuron(x, w) = tanh(w*x + b); L = neuron(x1, w1) + neuron(x2, w2)", "x1=1", "w1=0.5", "x2=2", "w2=-1",
          "b=0.1"]


def _browser():
    """Chromium and Playwright, or a skip saying why (a failure under CI, which installs both)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        reason = "needs Chromium (apt-get install chromium) and Playwright (the test extra); CI installs them"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, but they are not here")
        pytest.skip(reason)
    return sync_playwright, executable


def _records(dot: str) -> dict[str, str]:
    """Each record's ``gradient:`` text in the static graph's DOT, by its node name (n0, n1, ...)."""
    found = {}
    for name, label in re.findall(r"^\s*(n\d+) \[label=\"?(.*?)\"? fillcolor", dot, re.M):
        grad = re.search(r"gradient: (\S+?)(?:\\ )?(?:\}|$| )", label.replace("\\ ", " "))
        if grad:
            found[name] = f"gradient: {grad.group(1)}"
    return found


@pytest.mark.parametrize("args", [LECTURE, NEURON], ids=["lecture", "neuron"])
def test_the_page_steps_through_the_backward_pass(cli, tmp_path, args):
    sync_playwright, executable = _browser()
    path = tmp_path / "pass.html"
    assert cli("graph", *args, "-o", str(path)).code == 0
    trace = json.loads(cli("eval", *args, "--trace", "--format", "json").out)["trace"]
    final = _records(cli("graph", *args, "-o", "-", "--format", "dot").out)
    assert final  # the static graph shows gradients
    asked, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("request", lambda r: asked.append(r.url) if not r.url.startswith("file://") else None)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())

        def texts() -> dict[str, str]:
            return page.evaluate("""() => { const out = {};
                document.querySelectorAll('#graph g.node').forEach(g => {
                  const t = [...g.querySelectorAll('text')].find(t => t.textContent.startsWith('gradient:'));
                  if (t) out[g.querySelector('title').textContent.trim()] = t.textContent; });
                return out; }""")

        def rows() -> list[list[str]]:
            return page.evaluate("() => [...document.querySelectorAll('#rows tr')].map("
                                 "tr => [...tr.children].map(td => td.textContent))")

        assert set(texts().values()) == {"gradient: \u2014"}  # Home: no gradient yet
        page.keyboard.press("End")
        assert texts() == final  # the finished pass is the static graph, number for number
        page.keyboard.press("Home")
        page.keyboard.press("ArrowRight")  # the output's gradient set to 1
        shown = texts()
        assert [n for n, t in shown.items() if t != "gradient: \u2014"] == [max(final, key=lambda n: int(n[1:]))]
        for step in trace:  # each state against the --trace step
            page.keyboard.press("ArrowRight")
            want = [[i["node"], f"{i['local']:.6g}", f"{i['contribution']:.6g}", f"{i['accumulated']:.6g}"]
                    for i in step["inputs"]]
            assert rows() == want, step["node"]
            assert step["node"] in page.inner_text("#what")
            notes = page.evaluate("() => [...document.querySelectorAll('text.step-note')].map(t => t.textContent)")
            # beside each input's record, what the step adds: local derivative times the node's gradient
            assert sorted(notes) == sorted(f"+= {i['local']:.4g} \u00d7 {step['gradient']:.4g} = "
                                           f"{i['contribution']:.4g}" for i in step["inputs"]), step["node"]
        assert texts() == final and page.inner_text("#counter") == f"step {len(trace) + 1} of {len(trace) + 1}"
        page.click("#back")  # a step back undoes the last step
        assert texts() != final
        page.click("#next")
        assert texts() == final
        page.screenshot(path=str(tmp_path / "page.png"))
        browser.close()
    assert asked == [] and errors == []


def test_the_page_needs_values_and_one_output(cli, tmp_path):
    run = cli("graph", "a*b", "-o", str(tmp_path / "p.html"))
    assert run.code == 2 and run.err.startswith("error: the page steps through the backward pass of one output")
    assert not (tmp_path / "p.html").exists()


def test_the_stepper_in_a_notebook_runs_in_a_real_kernel_and_steps_in_the_browser(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    sync_playwright, executable = _browser()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from autodiff_cli import parse\n"
        "ev = parse('a*(b+c*d)').evaluate({'a': -2, 'b': 10, 'c': 2, 'd': -3})\n"
        "ev.render_graph(steps=True)")])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    [shown] = [o for o in notebook.cells[0].outputs if o.output_type == "execute_result"]
    frame = shown["data"]["text/html"]
    assert frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frame
    (tmp_path / "notebook.html").write_text(f"<!DOCTYPE html><html><body>{frame}</body></html>")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto((tmp_path / "notebook.html").as_uri())
        inner = page.frame_locator("iframe")
        inner.locator("#end").click()  # the notebook's page steps as the file does: a = -2's gradient is b + c*d
        assert inner.locator("#counter").inner_text().startswith("step ")
        assert "gradient: 4.0000" in inner.locator("#graph").inner_text()
        browser.close()
    assert errors == []


def test_the_stepper_of_a_value_graph_steps_to_the_lectures_gradients(tmp_path):
    from autodiff_cli import Value

    sync_playwright, executable = _browser()
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c  # left unlabelled: the panel names it by its op and value
    out = d * f
    out.label = "L"
    nodes = [a, b, c, f, e, d, out]
    out.render_graph(steps=True).save(str(tmp_path / "value.html"))
    assert [n.grad for n in nodes] == [0.0] * 7  # showing the pass leaves the graph's gradients as they were
    out.backward()
    by_hand = {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0, "e": -2.0, "": -2.0, "L": 1.0}  # dL/dd = f, dL/de = dL/dd
    assert {n.label: n.grad for n in nodes} == by_hand
    final = {n.label: f"gradient: {n.grad:.4f}" for n in nodes}  # as the drawing writes them
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto((tmp_path / "value.html").as_uri())

        def texts() -> dict[str, str]:  # label (the record's first text; "" for d) -> its gradient text
            return page.evaluate("""() => { const out = {};
                document.querySelectorAll('#graph g.node').forEach(g => {
                  const t = [...g.querySelectorAll('text')];
                  const grad = t.find(x => x.textContent.startsWith('gradient:'));
                  if (grad) out[t[0].textContent.startsWith('value:') ? '' : t[0].textContent] = grad.textContent; });
                return out; }""")

        def rows() -> list[str]:
            return page.evaluate("() => [...document.querySelectorAll('#rows tr')]"
                                 ".map(tr => tr.children[0].textContent)")

        assert set(texts().values()) == {"gradient: \u2014"}
        page.keyboard.press("End")
        assert texts() == final
        page.keyboard.press("Home")
        page.keyboard.press("ArrowRight")
        assert {k for k, t in texts().items() if t != "gradient: \u2014"} == {"L"}
        page.keyboard.press("ArrowRight")  # L = d * f: d gets f, f gets d
        assert "L" in page.inner_text("#what") and rows() == ["+ 4.0000", "f"]
        page.keyboard.press("ArrowRight")  # d = e + c
        assert "+ 4.0000" in page.inner_text("#what") and rows() == ["e", "c"]
        page.keyboard.press("ArrowRight")  # e = a * b
        assert rows() == ["a", "b"] and texts() == final
        assert page.inner_text("#counter") == "step 4 of 4"
        browser.close()
    assert errors == []


def test_a_comment_cannot_bend_the_page_script(cli, tmp_path):
    # "<!--<script" in the program's text once switched the HTML parser into a mode that swallowed the stepper.
    path = tmp_path / "p.html"
    assert cli("graph", "(a + #<!--<script>\n b) * c", "a=1", "b=2", "c=3", "-o", str(path)).code == 0
    text = path.read_text()
    data = text[text.index('id="steps">') + len('id="steps">'):text.index("</script>")]
    assert "<" not in data and ">" not in data and json.loads(data)["states"]


def test_a_narrow_window_scrolls_to_each_step_instead_of_shrinking_the_labels(cli, tmp_path):
    # 800 px for a drawing of 1,634 pt (2,179 px): shrunk to fit, its 14-px labels would be 5 px high.
    sync_playwright, executable = _browser()
    path = tmp_path / "pass.html"
    assert cli("graph", *NEURON, "-o", str(path)).code == 0
    natural = float(re.search(r'<svg width="([\d.]+)pt"', path.read_text()).group(1)) * 4 / 3
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 800, "height": 500})
        page.goto(path.as_uri())
        shown = page.evaluate("document.querySelector('#graph svg').getBoundingClientRect().width")
        assert shown >= natural * 2 / 3 - 1
        for _ in range(8):
            page.keyboard.press("ArrowRight")
            boxes = page.evaluate("""() => [...document.querySelectorAll('#graph g.node.current')].map(
                g => { const r = g.getBoundingClientRect(); return [r.left, r.right]; })""")
            assert boxes and all(0 <= left and right <= 800 for left, right in boxes), boxes  # scrolled into sight
        browser.close()

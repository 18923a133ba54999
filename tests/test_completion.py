"""Shell completion where it can go wrong: a HOME that cannot be written, a shell
that is unknown or cannot be told, a completion request with its variables
missing or malformed, a reader that is gone. A person gets one ``error:`` line
and exit status 2; the shell's own request gets nothing, quietly; a closed
pipe ends quietly with 0 as for any output. Nothing is ever installed in the
real HOME: each run here has its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHELLS = "bash, zsh, fish, powershell and pwsh"


def autodiff(args: list[str], home: Path | str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("_AUTODIFF", "COMP_"))}
    environ.update(PYTHONPATH=str(ROOT), HOME=str(home), **env)
    return subprocess.run([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A HOME of the test's own, for runs in this process too."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_install_into_a_home_that_is_not_a_directory_is_one_line(tmp_path, shell):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    run = autodiff(["--install-completion", shell], not_a_dir)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == f"error: cannot install {shell} completion: HOME ('{not_a_dir}') is not a directory\n"
    assert not_a_dir.read_text() == ""


def test_install_where_a_file_is_in_the_way_is_one_line(home):
    (home / ".config").write_text("")  # fish's completions go under ~/.config
    run = autodiff(["--install-completion", "fish"], home)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (f"error: cannot install fish completion: '{home / '.config' / 'fish' / 'completions'}': "
                          "Not a directory\n")


def test_install_into_a_writable_home_installs(home):
    run = autodiff(["--install-completion", "bash"], home)
    assert run.returncode == 0 and run.stderr == ""
    script = home / ".bash_completions" / "autodiff.sh"
    assert run.stdout.startswith(f"bash completion installed in {script}\n")
    assert "_AUTODIFF_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (home / ".bashrc").read_text()


@pytest.mark.parametrize("flag", ["--install-completion", "--show-completion"])
def test_an_unknown_shell_is_a_usage_error_and_nothing_is_installed(home, flag):
    run = autodiff([flag, "tcsh"], home)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == f"error: {flag}: no completion for the shell 'tcsh'; the shells are {SHELLS}\n"
    run = autodiff([flag, "bash", "zsh"], home)
    assert run.returncode == 2 and run.stderr == f"error: {flag} takes at most a shell's name, not 'bash' 'zsh'\n"
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("flag", ["--install-completion", "--show-completion"])
@pytest.mark.parametrize("detected", [None, ("tcsh", "/bin/tcsh")])
def test_a_shell_that_cannot_be_told_or_has_no_completion(cli, home, monkeypatch, flag, detected):
    import shellingham

    def detect_shell() -> tuple[str, str]:
        if detected is None:
            raise shellingham.ShellDetectionFailure
        return detected

    monkeypatch.setattr(shellingham, "detect_shell", detect_shell)
    run = cli(flag)
    assert run.code == 2 and run.out == ""
    if detected is None:
        assert run.err == f"error: {flag}: cannot tell which shell this is; name it: {flag} SHELL, one of {SHELLS}\n"
    else:
        assert run.err == f"error: {flag}: no completion for the shell 'tcsh'; the shells are {SHELLS}\n"
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("env", [
    {"COMP_WORDS": "autodiff ev", "COMP_CWORD": "x"},
    {"COMP_WORDS": "autodiff ev", "COMP_CWORD": ""},
    {"COMP_WORDS": "autodiff ev"},
    {},
])
def test_a_malformed_completion_request_answers_nothing(home, env):
    run = autodiff([], home, _AUTODIFF_COMPLETE="complete_bash", **env)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_a_completion_request_still_completes(home):
    run = autodiff([], home, _AUTODIFF_COMPLETE="complete_bash", COMP_WORDS="autodiff eval --fo", COMP_CWORD="2")
    assert (run.returncode, run.stdout.split(), run.stderr) == (0, ["--format"], "")


@pytest.mark.parametrize("instruction", ["bogus", "source_tcsh", "complete_", "explain_bash"])
def test_an_instruction_that_is_not_one_is_a_usage_error(home, instruction):
    run = autodiff([], home, _AUTODIFF_COMPLETE=instruction)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (f"error: _AUTODIFF_COMPLETE='{instruction}' is not a completion request: it is "
                          f"complete_SHELL or source_SHELL, for a SHELL among {SHELLS}\n")


def test_show_completion_into_a_closed_pipe_ends_quietly(home):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home)}
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "--show-completion", "bash"], cwd=ROOT, env=environ,
                         stdout=write, stderr=subprocess.PIPE, timeout=60)
    os.close(write)
    assert run.returncode == 0 and run.stderr == b""

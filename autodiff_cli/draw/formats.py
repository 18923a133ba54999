"""The drawing formats and the file suffixes that name them: one table for
``autodiff graph``, ``autodiff plot`` and ``Graph.save`` (the command line
derives its ``--format`` choices and its suffix rule from it)."""

from __future__ import annotations

SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".html": "html"}
"""A file's suffix, and the format written to it (``.gv`` is Graphviz's other suffix for DOT)."""
GRAPH = ("svg", "png", "pdf", "dot", "html")
"""What a computation graph is drawn as (html: a page that steps through the backward pass)."""
PLOT = ("svg", "png", "pdf")
"""What a plot is drawn as (by matplotlib: no DOT)."""


def by_suffix(formats: tuple[str, ...]) -> dict[str, str]:
    """The suffixes that name one of ``formats``, and the format each names."""
    return {suffix: fmt for suffix, fmt in SUFFIXES.items() if fmt in formats}


def choices(formats: tuple[str, ...]) -> tuple[str, ...]:
    """What ``--format`` takes: ``formats`` and the other names their suffixes give them (``gv``)."""
    return tuple(dict.fromkeys([*formats, *(suffix[1:] for suffix in by_suffix(formats))]))


def either(formats: tuple[str, ...], dot: str = "") -> str:
    """``svg, png, pdf or dot`` (with ``dot="."``: ``.svg, .png, .pdf or .dot``), for a message."""
    names = [dot + fmt for fmt in formats]
    return ", ".join(names[:-1]) + f" or {names[-1]}"

"""MkDocs hooks of the site: the lecture notebook published beside the pages.

The notebook lives in examples/, outside the pages' folder; the tutorial links
to it, so the site serves the committed file itself, never a copy that could
fall behind.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File, Files

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "lecture.ipynb"


def on_files(files: Files, config) -> Files:
    files.append(File.generated(config, "lecture.ipynb", abs_src_path=str(NOTEBOOK)))
    return files

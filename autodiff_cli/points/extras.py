"""The ``cluster`` extra's modules (pyarrow, Dask), imported when a path needs
them, or a usage error that says how to install them; alone in its module so
that any module of the layer can ask for one without loading numpy's."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ..base.errors import UsageError

EXTRA = 'pip install "autodiff-cli[cluster]"'


class MissingExtraError(UsageError):
    """A path that needs an optional dependency which is not installed."""


def require(module: str, what: str) -> Any:
    """``module`` imported, or a :class:`MissingExtraError` that says how to install it."""
    try:
        return import_module(module)
    except ImportError:
        package = module.split(".")[0]
        raise MissingExtraError(f"{what} needs {package}, which is not installed: {EXTRA}") from None

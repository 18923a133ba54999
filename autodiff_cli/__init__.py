"""autodiff: differentiate math expressions (a micrograd made into a tool).

>>> from autodiff_cli import parse
>>> parse("a*(b+c*d)").evaluate({"a": -2, "b": 10, "c": 2, "d": -3}).gradients
{'a': 4.0, 'b': -2.0, 'c': 6.0, 'd': -4.0}
"""

TYPE_CHECKING = False  # typing itself costs start-up time

__version__ = "0.5.0"
__all__ = [
    "AutodiffError",
    "DomainError",
    "Evaluation",
    "ExprSyntaxError",
    "Expression",
    "UsageError",
    "Value",
    "__version__",
    "draw_dot",
    "parse",
]

if TYPE_CHECKING:
    from .base.errors import AutodiffError, DomainError, ExprSyntaxError, UsageError
    from .core.engine import Value, draw_dot
    from .core.expression import Evaluation, Expression
    from .core.parser import parse

_HOMES = {"parse": "core.parser", "Value": "core.engine", "draw_dot": "core.engine", "Expression": "core.expression",
          "Evaluation": "core.expression", "AutodiffError": "base.errors", "DomainError": "base.errors",
          "ExprSyntaxError": "base.errors", "UsageError": "base.errors"}


def __getattr__(name: str) -> object:
    # Lazy, so `import autodiff_cli` stays cheap for the CLI's start-up.
    if name in _HOMES:
        from importlib import import_module  # lazily: only `autodiff_cli.parse` and the like, from Python, come here

        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(name)


def __dir__() -> list[str]:
    # The lazily imported names are part of the package, as dir() and completion should show.
    return sorted({*globals(), *__all__})

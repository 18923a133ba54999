"""Hive-partitioned Parquet: ``key=value`` directories (``d=1/part-0.parquet``,
``region=eu/...``), as Spark, Hive and pyarrow write a dataset split by a
column. The keys are columns of every row of the files below them, read as
``pyarrow.dataset`` reads them (``partitioning="hive"``: ``d=1`` an integer,
``region=eu`` text, the types agreed over the whole dataset, percent-encoding
undone, ``__HIVE_DEFAULT_PARTITION__`` null; see :func:`_key_schema`): a variable's values (the same
number at every row of a file), or a column kept as it is."""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from ..base.errors import PATH_LIMIT, UsageError, quoted
from ..core.values import plain_name
from .columns import require
from .inputs import is_url


class Keys:
    """The keys of each file of a dataset (by path: name to value) and their Arrow types."""

    def __init__(self, by_file: dict[str, dict[str, Any]] | None = None, types: dict[str, Any] | None = None,
                 text_by: dict[str, str] | None = None) -> None:
        self.by_file = by_file or {}
        self.types = types or {}
        self.text_by = text_by or {}  # a key of integers made text: the directory that did it (d=abc)

    def of(self, path: str) -> dict[str, Any]:
        return self.by_file.get(path if is_url(path) else os.path.abspath(path), {})

    def number(self, name: str, value: Any, path: str) -> np.float64:
        """:func:`key_number`, blaming the directory that made a key of integers text."""
        return key_number(name, value, path, self.text_by.get(name))


def base_of(source: str) -> str | None:
    """Where a dataset's partition directories start: the directory (or an object
    store's prefix) given, or a glob's directories before its first wildcard; None
    for one file (every ``key=value`` of its path counts, as ``pyarrow.dataset``
    reads one file)."""
    if is_url(source):
        from .store import Store  # lazily: only an object store's URL needs it

        return None if Store(source).kind() == "file" else source
    if os.path.isdir(source):
        return source
    if os.path.exists(source):
        return None
    fixed = []
    for part in source.split(os.sep):
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    return os.sep.join(fixed) or "."


def dataset_keys(files: list[str], base: str | None) -> Keys:
    """The ``key=value`` directories of ``files`` below ``base`` (see :func:`base_of`)."""
    below = [os.path.relpath(os.path.dirname(f), base) if base is not None else os.path.dirname(f) for f in files]
    if not any("=" in d for d in below):  # the usual dataset: no keys, and no dataset to build
        return Keys()
    ds = require("pyarrow.dataset", "Reading a partitioned dataset")
    import pyarrow as pa  # lazily: pyarrow costs start-up time; only Parquet needs it

    paths, fs, name = files, None, os.path.abspath
    if files and is_url(files[0]):  # an object store's: its paths in its file system, named by URL again
        from .store import Store  # lazily: only an object store's URL needs it

        store = Store(files[0])
        fs, name = store.fs, store.url_of
        paths = [_store_path(f) for f in files]
        base = _store_path(base) if base is not None else None
    schema, text_by = _key_schema(files, below, pa, lone=base is None)
    partitioning = ds.partitioning(schema, flavor="hive")
    try:
        dataset = ds.dataset(paths, filesystem=fs, format="parquet", partitioning=partitioning,
                             partition_base_dir=base)
        by_file = {name(f.path): {plain_name(k): v for k, v in ds.get_partition_keys(f.partition_expression).items()}
                   for f in dataset.get_fragments()}  # a directory ｄ=1 is the variable d
    except (pa.ArrowException, OSError, ValueError) as exc:
        why = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
        raise UsageError(f"cannot read the partitions (key=value directories) of the dataset: {why[:200]}") from None
    return Keys(by_file, {plain_name(f.name): f.type for f in schema}, text_by)


DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
"""Hive's directory name for a null key (``d=__HIVE_DEFAULT_PARTITION__``)."""
_INTEGER = re.compile(r"-?[0-9]+\Z")  # not "+2", which pyarrow reads as no integer


def _key_schema(files: list[str], below: list[str], pa: Any, lone: bool = False) -> tuple[Any, dict[str, str]]:
    """The keys' Arrow types, as ``pyarrow.dataset`` infers them, but by a rule of
    our own that is the same for every file: integers written in decimal
    (``d=16``, ``d=-1``; int32, or int64 if one is too big) or else text (``d=0x10``
    stays ``"0x10"``, ``d=+2`` ``"+2"``, an integer beyond int64 text too); a key that is null
    everywhere is text. Also, for a key of integers made text, the directory that made it
    (so that ``d=1`` is not blamed for being no number). A key given twice in one path
    (``d=1/d=2/``) or no key (``=1/``) is refused; in a ``lone`` file's path, where
    only the keys naming a variable count, no key is no directory of keys."""
    from urllib.parse import unquote  # lazily: only a partitioned dataset comes here

    values: dict[str, list[str]] = {}
    for path, directory in zip(files, below, strict=True):
        seen: set[str] = set()
        for segment in directory.replace(os.sep, "/").split("/"):
            if "=" not in segment:
                continue
            key, value = segment.split("=", 1)
            key, value = unquote(key), unquote(value)
            if not key and lone:
                continue
            if not key:
                raise UsageError(f"{quoted(path, PATH_LIMIT)}: the directory {quoted(segment)} names no key "
                                 "(a partition directory is KEY=VALUE)")
            if plain_name(key) in seen:
                raise UsageError(f"{quoted(path, PATH_LIMIT)}: the key {quoted(key)} is given twice in its "
                                 f"directories ({key}=.../{key}=...)")
            seen.add(plain_name(key))
            values.setdefault(key, []).append(value)
    fields, text_by = [], {}
    for key, texts in values.items():
        given = [t for t in texts if t != DEFAULT_PARTITION]
        kind = pa.string()
        wide = [t for t in given if _INTEGER.match(t) and abs(int(t)) >= 2**63]
        if given and not wide and all(_INTEGER.match(t) for t in given):
            kind = pa.int32() if max(abs(int(t)) for t in given) < 2**31 else pa.int64()
        elif any(_INTEGER.match(t) for t in given):
            culprit = wide[0] if wide else next(t for t in given if not _INTEGER.match(t))
            why = "is beyond 64-bit integers" if wide else "is no integer"
            text_by[plain_name(key)] = f"{key}={culprit} {why}: every {key} is text"
        fields.append(pa.field(key, kind))
    return pa.schema(fields), text_by


def _store_path(url: str) -> str:
    """An object store's URL as a path of its file system (``bucket/key``), as pyarrow names it."""
    return url.split("://", 1)[1].split("?", 1)[0].rstrip("/")


def key_number(name: str, value: Any, path: str, text_by: str | None = None) -> np.float64:
    """A key's value as a variable's number (null as nan); text is no number.
    ``text_by``: the directory that made a key of integers text (see :class:`Keys`)."""
    if value is None:
        return np.float64(np.nan)
    if isinstance(value, bool) or not isinstance(value, int | float):
        why = (f" ({text_by})" if text_by else " (beyond 64-bit integers)"
               if isinstance(value, str) and _INTEGER.match(value) else "")
        raise UsageError(f"{quoted(path, PATH_LIMIT)}: the directory {name}={value} gives the variable {quoted(name)} "
                         f"a value that is no number{why}")
    return np.float64(value)


def repeated_column(value: Any, kind: Any, size: int) -> Any:
    """A key kept as a column: its value at each of ``size`` rows, of the key's Arrow type."""
    import pyarrow as pa  # lazily: only a partitioned dataset comes here

    return pa.repeat(pa.scalar(value, type=kind), size)

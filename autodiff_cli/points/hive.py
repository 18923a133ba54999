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
from .columns import require
from .inputs import is_url


class Keys:
    """The keys of each file of a dataset (by path: name to value) and their Arrow types."""

    def __init__(self, by_file: dict[str, dict[str, Any]] | None = None, types: dict[str, Any] | None = None) -> None:
        self.by_file = by_file or {}
        self.types = types or {}

    def of(self, path: str) -> dict[str, Any]:
        return self.by_file.get(path if is_url(path) else os.path.abspath(path), {})


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
    partitioning = ds.partitioning(_key_schema(files, below, pa), flavor="hive")
    try:
        dataset = ds.dataset(paths, filesystem=fs, format="parquet", partitioning=partitioning,
                             partition_base_dir=base)
        by_file = {name(f.path): ds.get_partition_keys(f.partition_expression) for f in dataset.get_fragments()}
    except (pa.ArrowException, OSError, ValueError) as exc:
        why = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
        raise UsageError(f"cannot read the partitions (key=value directories) of the dataset: {why[:200]}") from None
    names = dict.fromkeys(n for keys in by_file.values() for n in keys)
    return Keys(by_file, {n: dataset.schema.field(n).type for n in names})


DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
"""Hive's directory name for a null key (``d=__HIVE_DEFAULT_PARTITION__``)."""
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")


def _key_schema(files: list[str], below: list[str], pa: Any) -> Any:
    """The keys' Arrow types, as ``pyarrow.dataset`` infers them, but by a rule of
    our own that is the same for every file: integers written in decimal
    (``d=16``; int32, or int64 if one is too big) or else text (``d=0x10``
    stays ``"0x10"``); a key that is null everywhere is text. A key given twice in
    one path (``d=1/d=2/``) is refused: which would it be?"""
    from urllib.parse import unquote  # lazily: only a partitioned dataset comes here

    values: dict[str, list[str]] = {}
    for path, directory in zip(files, below, strict=True):
        seen: set[str] = set()
        for segment in directory.replace(os.sep, "/").split("/"):
            if "=" not in segment:
                continue
            key, value = segment.split("=", 1)
            key, value = unquote(key), unquote(value)
            if key in seen:
                raise UsageError(f"{quoted(path, PATH_LIMIT)}: the key {quoted(key)} is given twice in its "
                                 f"directories ({key}=.../{key}=...)")
            seen.add(key)
            values.setdefault(key, []).append(value)
    fields = []
    for key, texts in values.items():
        given = [t for t in texts if t != DEFAULT_PARTITION]
        kind = pa.string()
        if given and all(_INTEGER.match(t) for t in given):
            widest = max(abs(int(t)) for t in given)
            kind = pa.int32() if widest < 2**31 else pa.int64() if widest < 2**63 else pa.string()
        fields.append(pa.field(key, kind))
    return pa.schema(fields)


def _store_path(url: str) -> str:
    """An object store's URL as a path of its file system (``bucket/key``), as pyarrow names it."""
    return url.split("://", 1)[1].split("?", 1)[0].rstrip("/")


def key_number(name: str, value: Any, path: str) -> np.float64:
    """A key's value as a variable's number (null as nan); text is no number."""
    if value is None:
        return np.float64(np.nan)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{quoted(path, PATH_LIMIT)}: the directory {name}={value} gives the variable {quoted(name)} "
                         "a value that is no number")
    return np.float64(value)


def repeated_column(value: Any, kind: Any, size: int) -> Any:
    """A key kept as a column: its value at each of ``size`` rows, of the key's Arrow type."""
    import pyarrow as pa  # lazily: only a partitioned dataset comes here

    return pa.repeat(pa.scalar(value, type=kind), size)

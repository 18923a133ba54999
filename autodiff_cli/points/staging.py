"""Where a dataset of results is built and how it is put in place: a hidden
directory beside the target, renamed into place at the end (an object store's
temporary prefix, copied into place object by object), so that a failed or
interrupted run leaves no partial dataset; and an output the input would read
back, refused."""

from __future__ import annotations

import fnmatch
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..base.errors import PATH_LIMIT, UsageError, quoted
from .extras import require
from .inputs import SUFFIXES, is_url


def remove_tree(path: str) -> None:
    """``path`` and all in it gone, even while a task that could not be stopped
    (on a remote worker) still adds a file to it."""
    if is_url(path):
        from .store import remove_prefix  # lazily: only an object store's URL needs it

        remove_prefix(path)
        return
    for _ in range(20):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            return
        time.sleep(0.05)


@contextmanager
def staged(directory: str) -> Iterator[str]:
    """A new hidden directory beside ``directory`` to build the dataset in, made
    before any work, so that an output that cannot be written is said at once;
    removed when the block ends, unless :func:`run` renamed it into place. In an
    object store: a temporary prefix beside it (nothing is made until a task writes)."""
    if is_url(directory):
        from .store import staging_url  # lazily: only an object store's URL needs it

        tmp = staging_url(directory)
        try:
            yield tmp
        finally:
            remove_tree(tmp)
        return
    name = os.path.abspath(directory)
    try:
        os.lstat(name)  # a name too long, a parent that is a file: known now, not after the work
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise UsageError(f"cannot write {quoted(directory, PATH_LIMIT)}: {exc.strerror or exc}") from None
    parent = os.path.dirname(name)
    tmp = os.path.join(parent, f".autodiff-{secrets.token_hex(5)}.tmp")
    made = True  # before mkdir: a signal just after it still removes the directory
    try:
        try:
            os.mkdir(tmp)
        except OSError as exc:
            made = False
            why = f"no directory {quoted(parent, PATH_LIMIT)}" if isinstance(exc, FileNotFoundError) else \
                exc.strerror or str(exc)
            raise UsageError(f"cannot write {quoted(directory, PATH_LIMIT)}: {why}") from None
        yield tmp
    finally:
        if made:
            remove_tree(tmp)


def refuse_read_back(source: str, directory: str) -> None:
    """An output directory that the dataset ``source`` takes in (inside its
    directory, or matched by its glob) is refused: the next run would read the
    results back as points."""
    if is_url(source) or is_url(directory):
        inside = is_url(source) and is_url(directory) and \
            (directory.split("?")[0].rstrip("/") + "/").startswith(source.split("?")[0].rstrip("/") + "/")
        if inside:
            raise UsageError(f"the output {quoted(directory, PATH_LIMIT)} is inside the dataset "
                             f"{quoted(source, PATH_LIMIT)}: a later run would read its results back as points; "
                             "write it elsewhere")
        return
    out = os.path.realpath(directory)
    if os.path.isdir(source):
        inside = os.path.commonpath([out, os.path.realpath(source)]) == os.path.realpath(source)
        how = "inside the dataset"
    elif not os.path.exists(source):
        part = os.path.abspath(directory) if one_file(directory) else \
            os.path.join(os.path.abspath(directory), "part-00000.parquet")
        inside = _glob_matches(os.path.abspath(source).split(os.sep), part.split(os.sep))
        how = "matched by the dataset's glob"
    else:
        return
    if inside:
        raise UsageError(f"the output {'file' if one_file(directory) else 'directory'} "
                         f"{quoted(directory, PATH_LIMIT)} is {how} "
                         f"{quoted(source, PATH_LIMIT)}: a later run would read its results back as points; "
                         "write it elsewhere")


def _glob_matches(pattern: list[str], path: list[str]) -> bool:
    """Whether ``glob(pattern, recursive=True)`` would find ``path`` (both split
    into names): ``**`` is any number of names, other wildcards stay within one,
    and only a pattern that starts with a dot finds a hidden name."""
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_glob_matches(rest, path[k:]) for k in range(len(path) + 1)
                   if not any(n.startswith(".") for n in path[:k]))
    return (bool(path) and fnmatch.fnmatch(path[0], head) and (head.startswith(".") or not path[0].startswith("."))
            and _glob_matches(rest, path[1:]))


def target(directory: str, name: str) -> str:
    """A file of a directory, or an object of a prefix."""
    if is_url(directory):
        from .store import child  # lazily: only an object store's URL needs it

        return child(directory, name)
    return os.path.join(directory, name)


def publish(staging: str, directory: str) -> None:
    """The dataset built in ``staging`` put in place: renamed (what a worker lost mid-write
    left behind removed first), or copied object by object in an object store."""
    if is_url(directory):
        from .store import publish_prefix  # lazily: only an object store's URL needs it

        publish_prefix(staging, directory)
        return
    for entry in os.listdir(staging):  # what a worker lost mid-write left behind
        if entry.endswith(".tmp"):
            os.unlink(os.path.join(staging, entry))
    os.replace(staging, directory)


def one_file(output: str) -> bool:
    """Whether a dataset's results go to one Parquet file (by its name's suffix), not a directory."""
    return SUFFIXES.get(os.path.splitext(output.split("?")[0])[1].lower()) == "parquet"


def gather(staging: str, output: str) -> None:
    """The files built in ``staging`` (in name order, which is the dataset's) copied
    row group by row group into the one Parquet file ``output``, which appears
    whole or not at all (written beside it and renamed; uploaded once complete to
    an object store); the staging removed."""
    pq = require("pyarrow.parquet", "Writing Parquet")
    import pyarrow as pa  # lazily: pyarrow costs start-up time; required just above

    from ..base.files import open_atomic  # lazily: only a dataset gathered into one file needs it
    from .parquet import ROW_GROUP  # lazily: pyarrow's

    if is_url(output):
        from .store import Store, upload_when_done  # lazily: only an object store's URL needs it

        store = Store(staging)
        parts = [(store.url_of(p), store.fs.open_input_file(p)) for p in store.files()]
        opened = upload_when_done(output)
    else:
        parts = [(os.path.join(staging, n), os.path.join(staging, n)) for n in sorted(os.listdir(staging))
                 if not n.endswith(".tmp")]
        opened = open_atomic(output)
    with opened as out:
        writer = None
        pending: list = []  # small row groups (of small parts) gathered into big ones
        try:
            for _, source in parts:
                part = pq.ParquetFile(source)
                writer = writer or pq.ParquetWriter(out, part.schema_arrow)
                for group in range(part.num_row_groups):
                    pending.append(part.read_row_group(group))
                    if sum(t.num_rows for t in pending) >= ROW_GROUP:
                        writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP)
                        pending = []
            if pending:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP)
        finally:
            if writer is not None:
                writer.close()
    remove_tree(staging)

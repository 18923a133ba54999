"""Object stores (``s3://bucket/key``, and the other URLs pyarrow's file systems
know) for a batch's input and output, through ``pyarrow.fs``: credentials,
region and endpoint the standard AWS way (``AWS_ACCESS_KEY_ID``,
``AWS_ENDPOINT_URL``, ...), as pyarrow reads them.

An object appears under its final name whole or not at all: it is uploaded
under a temporary key beside it (``.autodiff-XXXXXXXXXX.tmp``) and copied into
place once complete (a copy within the store), the temporary key deleted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..base.errors import PATH_LIMIT, AutodiffError, UsageError, quoted, shortened
from .extras import require


def _why(exc: BaseException) -> str:
    """pyarrow's reason, one line, without the request's id."""
    text = getattr(exc, "strerror", None) or next((ln.strip() for ln in str(exc).splitlines() if ln.strip()),
                                                  type(exc).__name__)
    text = re.sub(r"\s*\(Request ID: [^)]*\)", "", text)
    if "NO_SUCH_BUCKET" in text or ("does not exist" in text and "bucket" in text.lower()):
        return "no such bucket"
    if "ACCESS_DENIED" in text or "AccessDenied" in text:
        return "access denied"
    return shortened(text, 200)


def _fsspec(url: str, pafs: Any) -> tuple[Any, str] | None:
    """``url`` through fsspec (``memory://``, ``az://``, ``gcs://``, ...) as a pyarrow file system, where
    fsspec and the protocol's package are installed; else None."""
    try:
        import fsspec  # lazily: only a URL that pyarrow does not know needs it
    except ImportError:
        return None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError, OSError):
        return None
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


class Store:
    """A URL resolved: its file system, the path in it, and the URL's scheme and query
    (to name a path of the same store as a URL again)."""

    def __init__(self, url: str) -> None:
        pafs = require("pyarrow.fs", "Reading and writing object stores")
        import pyarrow as pa  # lazily: pyarrow costs start-up time

        self.url, self.pa, self.pafs = url, pa, pafs
        self.scheme = url.split("://", 1)[0]
        self.query = url[url.index("?"):] if "?" in url else ""
        try:
            self.fs, self.path = pafs.FileSystem.from_uri(url)
        except (pa.ArrowException, OSError, ValueError) as exc:
            known = _fsspec(url, pafs)  # a protocol pyarrow lacks and an installed fsspec package has
            if known is None:
                raise UsageError(f"cannot open {quoted(url, PATH_LIMIT)}: {_why(exc)}") from None
            self.fs, self.path = known
        self.path = self.path.rstrip("/")

    def url_of(self, path: str) -> str:
        """The URL of ``path`` in this store (its query kept, so workers resolve it alike)."""
        return f"{self.scheme}://{path}{self.query}"

    def fail(self, exc: BaseException, verb: str = "read", url: str | None = None) -> UsageError:
        """A failure of the store as one line naming the URL."""
        return UsageError(f"cannot {verb} {quoted(url or self.url, PATH_LIMIT)}: {_why(exc)}")

    def kind(self, path: str | None = None) -> str:
        """``"file"``, ``"directory"`` (a bucket or a prefix), or ``"missing"``."""
        try:
            info = self.fs.get_file_info(path if path is not None else self.path)
        except (self.pa.ArrowException, OSError) as exc:
            raise self.fail(exc) from None
        kind = self.pafs.FileType
        return {kind.File: "file", kind.Directory: "directory"}.get(info.type, "missing")

    def missing(self, verb: str = "read") -> UsageError:
        """What is missing: the bucket, or the object in it."""
        bucket = self.path.split("/", 1)[0]
        if self.scheme == "s3" and self.kind(bucket) == "missing":
            return UsageError(f"cannot {verb} {quoted(self.url, PATH_LIMIT)}: no such bucket {quoted(bucket)}")
        return UsageError(f"cannot {verb} {quoted(self.url, PATH_LIMIT)}: no such object")

    def open_input(self, path: str | None = None, random: bool = False) -> Any:
        """The object as a binary stream (``random``: seekable, as Parquet needs)."""
        path = path if path is not None else self.path
        try:
            return (self.fs.open_input_file if random else self.fs.open_input_stream)(path)
        except FileNotFoundError:
            raise (self.missing() if path == self.path else self.fail(FileNotFoundError("no such object"),
                                                                       url=self.url_of(path))) from None
        except (self.pa.ArrowException, OSError) as exc:
            raise self.fail(exc, url=self.url_of(path)) from None

    def files(self) -> list[str]:
        """The objects below a prefix (recursively, in name order, hidden and ``_`` names skipped), as paths."""
        try:
            infos = self.fs.get_file_info(self.pafs.FileSelector(self.path, recursive=True))
        except (self.pa.ArrowException, OSError) as exc:
            raise self.fail(exc) from None
        start = len(self.path) + 1
        return sorted(i.path for i in infos if i.type == self.pafs.FileType.File
                      and not any(n.startswith((".", "_")) for n in i.path[start:].split("/")))

    def delete(self, path: str, directory: bool = False) -> None:
        """``path`` gone, quietly (a clean-up after a failure must not hide it)."""
        try:
            (self.fs.delete_dir if directory else self.fs.delete_file)(path)
        except (self.pa.ArrowException, OSError):
            pass

    def publish(self, tmp: str, path: str) -> None:
        """The temporary object ``tmp`` copied to ``path`` (whole, by the store) and deleted."""
        try:
            self.fs.copy_file(tmp, path)
        except (self.pa.ArrowException, OSError) as exc:
            raise self.write_failure(exc, path) from None
        finally:
            self.delete(tmp)

    def write_failure(self, exc: BaseException, path: str) -> AutodiffError:
        """A missing bucket or denied access is the user's to fix (status 2); anything else a failure (1)."""
        why = _why(exc)
        cls = UsageError if why in ("no such bucket", "access denied") else AutodiffError
        return cls(f"cannot write {quoted(self.url_of(path), PATH_LIMIT)}: {why}")

    def temporary(self, path: str) -> str:
        """A temporary key beside ``path``."""
        import secrets  # lazily: only a write needs it

        parent = path.rsplit("/", 1)[0] if "/" in path else path
        return f"{parent}/.autodiff-{secrets.token_hex(5)}.tmp"

    def check_writable(self) -> None:
        """The bucket exists and takes a write (said before any work)."""
        bucket = self.path.split("/", 1)[0]
        if self.scheme == "s3" and self.kind(bucket) == "missing":
            raise UsageError(f"cannot write {quoted(self.url, PATH_LIMIT)}: no such bucket {quoted(bucket)}")
        if self.kind() == "directory":
            raise UsageError(f"cannot write {quoted(self.url, PATH_LIMIT)}: it is a directory (a prefix)")

    def upload(self, local: Any, path: str | None = None) -> None:
        """The binary file ``local`` (read from its start) put at ``path`` whole, by way of a temporary key."""
        import shutil  # lazily: only an upload needs it

        path = path if path is not None else self.path
        tmp = self.temporary(path)
        try:
            with self.fs.open_output_stream(tmp) as out:
                shutil.copyfileobj(local, out, 1 << 20)
        except (self.pa.ArrowException, OSError) as exc:
            self.delete(tmp)
            raise self.write_failure(exc, path) from None
        except BaseException:
            self.delete(tmp)
            raise
        self.publish(tmp, path)


@contextmanager
def upload_when_done(url: str) -> Iterator[Any]:
    """A local temporary binary file to write the object into; uploaded to ``url``
    (whole) when the block ends well, and nothing written there otherwise."""
    import tempfile  # lazily: only an object store's output needs it

    store = Store(url)
    store.check_writable()
    with tempfile.TemporaryFile(prefix="autodiff-") as local:
        yield local
        local.flush()
        local.seek(0)
        store.upload(local)


def child(url: str, name: str) -> str:
    """The URL of ``name`` under the prefix ``url`` (its query, if any, kept at the end)."""
    base, query = [*url.split("?", 1), ""][:2]
    return f"{base.rstrip('/')}/{name}" + (f"?{query}" if query else "")


def staging_url(url: str) -> str:
    """A new temporary prefix beside the prefix ``url`` to build a dataset in, its bucket checked first."""
    store = Store(url)
    store.check_writable()
    return store.url_of(store.temporary(store.path))


def remove_prefix(url: str) -> None:
    """Every object below ``url`` gone, quietly (a clean-up)."""
    store = Store(url)
    store.delete(store.path, directory=True)


SUCCESS = "_SUCCESS"
"""The object that says a dataset below a prefix is complete (Hadoop's and Spark's name)."""


COPIES = 8
"""Objects copied at once as a dataset is published: each copy is the store's
work, a request that waits for it (two 150 MB objects: 1.05 s one after the
other, 0.81 s together, against a local S3 server)."""


def publish_prefix(staging: str, url: str) -> None:
    """The objects built below ``staging`` copied below ``url`` (each whole, by the
    store; ``COPIES`` at once), then ``_SUCCESS`` (a JSON list of them, as Spark's
    S3A committers write it), then the staging deleted. An object store has no
    rename: while the parts are copied a reader may list some of them, and
    ``_SUCCESS`` is what says the dataset is complete. A failure part-way deletes
    what was copied (once no copy is under way)."""
    import json  # lazily: only a dataset's publication needs it
    from concurrent.futures import ThreadPoolExecutor  # lazily: only a dataset's publication needs it

    source, target = Store(staging), Store(url)
    copied: list[str] = []
    pool = ThreadPoolExecutor(COPIES, thread_name_prefix="autodiff-copy")
    try:
        names = [path[len(source.path) + 1:] for path in source.files()]
        copied += [f"{target.path}/{name}" for name in names]
        copies = [pool.submit(_copy, target, f"{source.path}/{name}", f"{target.path}/{name}") for name in names]
        for copy in copies:
            copy.result()
        copied.append(f"{target.path}/{SUCCESS}")
        manifest = json.dumps({"committer": "autodiff", "filenames": names}).encode()
        try:
            with target.fs.open_output_stream(copied[-1]) as out:
                out.write(manifest)
        except (target.pa.ArrowException, OSError) as exc:
            raise target.write_failure(exc, copied[-1]) from None
    except BaseException:
        pool.shutdown(cancel_futures=True)  # the copies under way end first: none lands after the clean-up
        for path in copied:
            target.delete(path)
        raise
    finally:
        pool.shutdown()
        source.delete(source.path, directory=True)


def _copy(store: Store, source: str, path: str) -> None:
    """The object ``source`` copied to ``path`` by the store; a failure said as the write of ``path``."""
    try:
        store.fs.copy_file(source, path)
    except (store.pa.ArrowException, OSError) as exc:
        raise store.write_failure(exc, path) from None


def open_output(url: str) -> Any:
    """A binary stream that writes the object at ``url`` (a worker's part of a dataset, under a temporary prefix)."""
    store = Store(url)
    try:
        return store.fs.open_output_stream(store.path)
    except (store.pa.ArrowException, OSError) as exc:
        raise store.write_failure(exc, store.path) from None


def existing_output(url: str) -> str | None:
    """Why ``url`` cannot take a new dataset (an object there, or a prefix with objects), or None."""
    store = Store(url)
    kind = store.kind()
    if kind == "file":
        return "exists"
    if kind == "directory" and store.files():
        return "exists"
    return None

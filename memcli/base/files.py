"""Owner-only files and folders, and atomic writes.

Everything memcli writes may hold personal data, so folders are 0700 and
files 0600 from the moment they exist (not chmod-ed afterwards, which would
leave a window where they are readable).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from memcli.base.errors import StorageError


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as owner-only folders; return it."""
    if path.exists() and not path.is_dir():
        raise StorageError(f"{path} is a file where a folder is needed")
    try:
        missing = []
        p = path
        while not p.exists():
            missing.append(p)
            p = p.parent
        for folder in reversed(missing):
            folder.mkdir(mode=0o700, exist_ok=True)  # another thread or process may make it first
            os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    except OSError as exc:
        raise StorageError(f"cannot create folder {path}: {exc.strerror}") from None
    return path


def touch_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror}") from None


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, then rename), mode 0600."""
    private_dir(path.parent)
    tmp = _tmp_sibling(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot write {path}: {exc.strerror}") from None


def private_tmp_path(path: Path) -> Path:
    """A temporary sibling of ``path`` for writers that need a file name (hnswlib)."""
    private_dir(path.parent)
    return _tmp_sibling(path)


def _tmp_sibling(path: Path) -> Path:
    # pid and thread: two Memory objects of one process (the chat and its tier
    # review) may save the same file at once
    return path.with_name(f".{path.name}.{os.getpid()}-{threading.get_native_id()}.tmp")


def tmp_owner(path: Path) -> int:
    """The pid that wrote a temporary sibling (-1 when its name says none)."""
    try:
        return int(path.name.rsplit(".", 2)[-2].split("-")[0])
    except ValueError:
        return -1


def shred(path: Path) -> None:
    """Overwrite a file with zeros before unlinking it, so erased data does not
    linger in the file's old blocks on simple file systems."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    try:
        with open(path, "r+b") as fh:
            chunk = b"\0" * min(size, 1 << 20)
            left = size
            while left > 0:
                n = min(left, len(chunk))
                fh.write(chunk[:n])
                left -= n
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        pass
    path.unlink(missing_ok=True)


def user_key(user_id: str) -> str:
    """File-name-safe key for a user that does not spell their name on disk."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:32]

"""Where an export's files are: a file, a folder, or the export's .zip; which
format each is; and reading them (text in UTF-8, UTF-16 or with a BOM; JSON
as a stream)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from memcli.base.errors import InvalidInput

# What a memory export (read by memcli.storage.export_format) looks like, as
# against a chat history: these go to Memory.import_data.
MEMORY_FORMATS = ("memcli", "mem0", "openmemory", "mcp")
ALL_FORMATS = (*MEMORY_FORMATS, "chatgpt", "claude", "whatsapp", "telegram")
READS = "memcli, Mem0 and OpenMemory exports, an MCP memory.json, ChatGPT, Claude, WhatsApp and Telegram"
_SNIFF = 64 * 1024
# A WhatsApp line opens with a date: "12/31/23, 9:41 PM - ", "[31.12.2023, 21:41:05] " ...
WHATSAPP_START = re.compile(r"^[\u200e\u200f\ufeff]*\[?\d{1,4}[./-]\d{1,2}[./-]\d{1,4},? \d{1,2}[:.]\d{2}")


@dataclass
class Entry:
    """One file of an export: its name (inside a folder or a zip) and how to open it."""

    name: str
    opener: Callable[[], IO[bytes]]
    size: int = 0
    position: int = 0  # bytes read so far by the stream reader (for a progress bar)

    def open(self) -> IO[bytes]:
        return self.opener()

    def head(self) -> bytes:
        with self.open() as f:
            return f.read(_SNIFF)


def entries(path: Path) -> list[Entry]:
    """The files of an export at ``path``."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder")
    if not path.is_dir() and not path.is_file():
        raise InvalidInput(f"{path} is not a regular file")
    try:
        path.stat()
        if path.is_file():
            open(path, "rb").close()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if path.is_dir():
        return [Entry(str(p.relative_to(path)), _file_opener(p), p.stat().st_size)
                for p in sorted(path.rglob("*")) if p.is_file()]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            members = [(i.filename, i.file_size) for i in z.infolist() if not i.is_dir()]
        return [Entry(name, _zip_opener(path, name), size) for name, size in members]
    return [Entry(path.name, _file_opener(path), path.stat().st_size)]


def _file_opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: open(path, "rb")


def _zip_opener(path: Path, name: str) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        z = zipfile.ZipFile(path)
        inner = z.open(name)
        inner_close = inner.close

        def close() -> None:  # the member, then the archive
            inner_close()
            z.close()

        inner.close = close  # type: ignore[method-assign]
        return inner
    return opener


def sniff(entry: Entry) -> str | None:
    """The format of one file, from its name and its first bytes; None if none."""
    name = entry.name.lower().rsplit("/", 1)[-1]
    head = decode(entry.head(), entry.name, partial=True)
    start = head.lstrip()[:1]
    if name.endswith(".txt"):
        lines = [line for line in head.splitlines()[:20] if line.strip()]
        return "whatsapp" if any(WHATSAPP_START.match(line) for line in lines) else None
    if start not in ("{", "["):
        return None
    if '"mapping"' in head and ('"current_node"' in head or '"author"' in head):
        return "chatgpt"
    if '"chat_messages"' in head:
        return "claude"
    if '"messages"' in head and ('"date_unixtime"' in head or '"from_id"' in head or '"personal_information"'
                                 in head or name == "result.json"):
        return "telegram"
    if '"memcli-export"' in head:
        return "memcli"
    if start == "{" and '"type"' in head and '"entity"' in head and "\n{" in head:
        return "mcp"
    if '"memory"' in head or '"results"' in head:
        return "mem0"
    if '"content"' in head and name.startswith("memories"):
        return "openmemory"
    return None


def detect(path: Path, forced: str | None = None) -> list[tuple[str, Entry]]:
    """Each file of the export at ``path`` that memcli reads, with its format
    (``forced``: the format given with ``--format``, for a single file)."""
    if forced is not None and forced not in ALL_FORMATS:
        raise InvalidInput(f"unknown format {forced!r}; memcli reads {', '.join(ALL_FORMATS)}")
    found = entries(path)
    if forced is not None:
        chosen = [e for e in found if forced in MEMORY_FORMATS or _fits(forced, e)] or found
        return [(forced, e) for e in chosen[:1 if forced != "whatsapp" else None]]
    out = [(fmt, e) for e in found for fmt in [sniff(e)] if fmt]
    chats = [(fmt, e) for fmt, e in out if fmt not in MEMORY_FORMATS]
    if chats:
        return chats  # a chat export's folder also holds other JSON (user.json ...): the chats are what matter
    if out:
        return out[:1]
    raise InvalidInput(f"{path}: not an export memcli reads ({READS}); --format names one")


def _fits(fmt: str, entry: Entry) -> bool:
    name = entry.name.lower()
    return {"chatgpt": name.endswith("conversations.json"), "claude": name.endswith("conversations.json"),
            "telegram": name.endswith(".json"), "whatsapp": name.endswith(".txt")}.get(fmt, True)


def decode(raw: bytes, name: str, *, partial: bool = False) -> str:
    """Text in UTF-8 (with or without a BOM) or UTF-16 (as some phones write it)."""
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        encoding = "utf-16"
    elif len(raw) > 3 and raw[1:2] == b"\0" and raw[3:4] == b"\0":
        encoding = "utf-16-le"
    else:
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding, errors="ignore" if partial else "strict")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not text in UTF-8 or UTF-16 (byte {exc.start})") from None


class Counting(io.RawIOBase):
    """A file that counts the bytes read from it, so a parse error can say where."""

    def __init__(self, inner: IO[bytes], entry: Entry | None = None) -> None:
        self.inner = inner
        self.entry = entry
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        buffer[:len(data)] = data
        self.read_bytes += len(data)
        if self.entry is not None:
            self.entry.position = self.read_bytes
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


def json_items(entry: Entry, prefix: str) -> Iterator[Any]:
    """The objects at ``prefix`` of a JSON file, one at a time (ijson), with a
    one-line error naming the file and about where it broke."""
    import ijson

    with Counting(entry.open(), entry) as f:
        stream = io.BufferedReader(f, 64 * 1024)
        head = stream.peek(4)[:4]
        if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
            raise InvalidInput(f"{entry.name}: a JSON export in UTF-16: save it as UTF-8")
        if head.startswith(b"\xef\xbb\xbf"):
            stream.read(3)
        try:
            yield from ijson.items(stream, prefix, use_float=True)
        except ijson.JSONError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidInput(f"{entry.name}: broken JSON at about byte {f.read_bytes:,}: {reason}") from None

"""Writing small GGUF files for tests: a header with the metadata given and a
tensor table, optionally with the tensor data cut short."""

from __future__ import annotations

import struct
from pathlib import Path


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def _value(value: object) -> bytes:
    if isinstance(value, bool):
        return struct.pack("<I", 7) + struct.pack("<?", value)
    if isinstance(value, int):
        return struct.pack("<I", 4) + struct.pack("<I", value)
    if isinstance(value, float):
        return struct.pack("<I", 6) + struct.pack("<f", value)
    if isinstance(value, str):
        return struct.pack("<I", 8) + _string(value)
    raise TypeError(value)


def write_gguf(path: Path, meta: dict[str, object], tensors: int = 1, elements: int = 64,
               cut: int = 0) -> Path:
    """A GGUF v3 file whose ``tensors`` F32 tensors hold ``elements`` numbers
    each; ``cut`` leaves that many bytes of the data out (a truncated download)."""
    head = b"GGUF" + struct.pack("<I", 3) + struct.pack("<Q", tensors) + struct.pack("<Q", len(meta))
    for key, value in meta.items():
        head += _string(key) + _value(value)
    size = elements * 4
    for i in range(tensors):
        head += _string(f"blk.{i}.weight") + struct.pack("<I", 1) + struct.pack("<Q", elements)
        head += struct.pack("<I", 0) + struct.pack("<Q", i * size)
    head += b"\0" * (-len(head) % 32)
    data = b"\0" * (size * tensors)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head + data[: len(data) - cut])
    return path


def chat_model_meta(arch: str = "llama", **extra: object) -> dict[str, object]:
    meta: dict[str, object] = {"general.architecture": arch, "general.name": f"tiny {arch}",
                               "general.file_type": 2, f"{arch}.context_length": 4096,
                               f"{arch}.block_count": 2, f"{arch}.embedding_length": 64,
                               f"{arch}.attention.head_count": 4,
                               "tokenizer.chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}
    meta.update(extra)
    return meta

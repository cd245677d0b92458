"""GGUF model files: a quick check that a path is one, before llama.cpp is loaded."""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelError


def check_gguf(path: Path, config_hint: str) -> None:
    """Fail early, with a message that says how to fix it, unless ``path`` is a GGUF file."""
    fix = f"set [chat] model in {config_hint} (or pass --model PATH) to a .gguf file"
    if not path.exists():
        raise ModelError(f"model file {path} does not exist; {fix}")
    if path.is_dir():
        raise ModelError(f"model path {path} is a folder; {fix}")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror}; {fix}") from None
    if magic != b"GGUF":
        raise ModelError(f"{path} is not a GGUF model file; {fix}")


# --- reading the header without loading the weights ----------------------------------
# GGUF (v2 and v3): magic, version, tensor count, metadata count, then typed
# key/value pairs. Only the header is read; large arrays (the tokenizer's
# vocabulary) are skipped without keeping them.

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


def read_metadata(path: Path, keep_arrays: int = 16) -> dict[str, object]:
    """The GGUF file's metadata (arrays longer than ``keep_arrays`` are summarised
    as their length). Raises ModelError for a file that is not a readable GGUF."""
    import struct

    def take(fh, fmt: str) -> object:  # type: ignore[no-untyped-def]
        size = struct.calcsize(fmt)
        data = fh.read(size)
        if len(data) != size:
            raise ModelError(f"{path} ends inside its header (truncated?)")
        return struct.unpack(fmt, data)[0]

    def string(fh) -> str:  # type: ignore[no-untyped-def]
        length = int(take(fh, "<Q"))  # type: ignore[call-overload]
        if length > 1 << 24:
            raise ModelError(f"{path} has a damaged header")
        return fh.read(length).decode("utf-8", "replace")

    def value(fh, kind: int) -> object:  # type: ignore[no-untyped-def]
        if kind in _SCALARS:
            return take(fh, _SCALARS[kind])
        if kind == _STRING:
            return string(fh)
        if kind == _ARRAY:
            inner, count = int(take(fh, "<I")), int(take(fh, "<Q"))  # type: ignore[call-overload]
            if count > keep_arrays and inner in _SCALARS:
                fh.seek(struct.calcsize(_SCALARS[inner]) * count, 1)  # numbers can be stepped over
                return {"array_length": count}
            items = [value(fh, inner) for _ in range(count)]  # strings must be read to be passed
            return items if count <= keep_arrays else {"array_length": count}
        raise ModelError(f"{path} has a metadata value of unknown type {kind}")

    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"GGUF":
                raise ModelError(f"{path} is not a GGUF model file")
            version = int(take(fh, "<I"))  # type: ignore[call-overload]
            if version < 2:
                raise ModelError(f"{path} is GGUF version {version}; only 2 and later are read")
            take(fh, "<Q")  # tensors
            count = int(take(fh, "<Q"))  # type: ignore[call-overload]
            meta: dict[str, object] = {"gguf.version": version}
            for _ in range(count):
                key = string(fh)
                meta[key] = value(fh, int(take(fh, "<I")))  # type: ignore[call-overload]
            return meta
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror}") from None

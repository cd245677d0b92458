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

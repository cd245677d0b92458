"""Whether this CPU multiplies int8 matrices natively.

Conversations stored as given are embedded through an int8 copy of MiniLM
where it is so (:mod:`memcli.models.windows`). ONNX Runtime runs its int8
products on x86 with VNNI (or AMX) in one instruction; without VNNI it uses
AVX2's ``vpmaddubsw``, which saturates on large products (ONNX Runtime's
quantisation notes) and measured only about 1.2x faster than float32, so
there the float32 graph stays. Unmeasured platforms keep float32 too.

``MEMCLI_INT8=0`` or ``=1`` decides instead (to compare the two, or to keep
a database's vectors the same whatever machine fills it).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError

# the /proc/cpuinfo flags of an int8 dot product without saturation
INT8_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def has_int8_flags(cpuinfo: str) -> bool:
    """Whether a /proc/cpuinfo text lists a flag of :data:`INT8_FLAGS`."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags" and INT8_FLAGS & set(value.split()):
            return True
    return False


@lru_cache(maxsize=1)
def cpu_has_int8() -> bool:
    """Whether this machine's CPU lists such a flag (False where there is no /proc/cpuinfo)."""
    try:
        return has_int8_flags(Path("/proc/cpuinfo").read_text(errors="replace"))
    except OSError:  # not Linux
        return False


def int8_dot() -> bool:
    """Whether to run MiniLM's windows with int8 weights here (see the module)."""
    forced = os.environ.get("MEMCLI_INT8", "").strip()
    if not forced:
        return cpu_has_int8()
    if forced not in ("0", "1"):
        raise ConfigError(f"MEMCLI_INT8 must be 0 or 1, not {forced!r}")
    return forced == "1"

"""Which 8-bit weights this CPU multiplies exactly, and fast.

Conversations stored as given are embedded through an 8-bit copy of MiniLM
where one fits the CPU (:mod:`memcli.models.windows`). ONNX Runtime
quantises each layer's input to unsigned 8 bits and multiplies it by the
weights in one of two ways:

- signed weights (``int8``): on x86 with VNNI or AMX, one exact instruction.
  Without VNNI the same product runs through AVX2's ``vpmaddubsw``, whose
  16-bit sums saturate: measured on a 2-core AVX2 EPYC, LoCoMo recall fell
  on three of the six conversations;
- unsigned weights (``uint8``, zero point 128, the same numbers shifted):
  AVX2 widens both sides to 16 bits first, so nothing saturates: the VNNI
  figures to within float rounding, and faster than float32 (signed is
  faster still, but inexact). With VNNI the signed form is the fast one.

Other CPUs (no AVX2, or not x86) keep float32: unmeasured there.
``MEMCLI_INT8=0`` or ``=1`` decides instead (to compare the two, or to keep
a database's vectors the same whatever machine fills it); ``=1`` on a CPU
with neither takes the unsigned form, exact everywhere.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

from memcli.base.errors import ConfigError

Weights = Literal["int8", "uint8"]

# the /proc/cpuinfo flags of an int8 dot product without saturation
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def int8_form(cpuinfo: str) -> Optional[Weights]:
    """The 8-bit weights that a /proc/cpuinfo text's flags run exactly and
    faster than float32: ``int8`` with VNNI or AMX, ``uint8`` with AVX2
    alone, None otherwise."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags = set(value.split())
            if VNNI_FLAGS & flags:
                return "int8"
            if "avx2" in flags:
                return "uint8"
    return None


@lru_cache(maxsize=1)
def cpu_int8_form() -> Optional[Weights]:
    """:func:`int8_form` of this machine's CPU (None where there is no /proc/cpuinfo)."""
    try:
        return int8_form(Path("/proc/cpuinfo").read_text(errors="replace"))
    except OSError:  # not Linux
        return None


def int8_weights() -> Optional[Weights]:
    """The 8-bit weights MiniLM's windows run with here, or None for float32
    (see the module)."""
    forced = os.environ.get("MEMCLI_INT8", "").strip()
    if not forced:
        return cpu_int8_form()
    if forced not in ("0", "1"):
        raise ConfigError(f"MEMCLI_INT8 must be 0 or 1, not {forced!r}")
    return (cpu_int8_form() or "uint8") if forced == "1" else None

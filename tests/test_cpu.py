"""Where conversations are embedded with int8 weights: CPUs whose int8 dot
product does not saturate (VNNI, AMX), or as MEMCLI_INT8 says."""

from __future__ import annotations

import numpy as np
import pytest

from memcli.errors import ConfigError
from memcli.models import cpu
from memcli.models.bert_onnx import quantized

AVX2 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2\nmodel name\t: AMD EPYC\n"
VNNI = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 avx512f avx512_vnni avx512_bf16\n"


def test_vnni_or_amx_flags_mean_native_int8_and_avx2_alone_does_not() -> None:
    assert cpu.has_int8_flags(VNNI)
    assert cpu.has_int8_flags(AVX2.replace("bmi2", "bmi2 avx_vnni"))
    assert cpu.has_int8_flags(AVX2.replace("bmi2", "bmi2 amx_int8"))
    assert not cpu.has_int8_flags(AVX2)
    assert not cpu.has_int8_flags("model name\t: avx512_vnni lookalike\n")  # only the flags line counts
    assert not cpu.has_int8_flags("")


@pytest.mark.parametrize("value, expected", [("0", False), ("1", True)])
def test_memcli_int8_decides_over_the_cpu(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("MEMCLI_INT8", value)
    assert cpu.int8_dot() is expected


def test_a_memcli_int8_that_is_not_0_or_1_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMCLI_INT8", "yes")
    with pytest.raises(ConfigError, match="MEMCLI_INT8 must be 0 or 1, not 'yes'"):
        cpu.int8_dot()


def test_without_memcli_int8_the_cpu_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMCLI_INT8", raising=False)
    assert cpu.int8_dot() is cpu.cpu_has_int8()


def test_a_matrix_in_int8_is_within_half_a_step_of_each_column() -> None:
    rng = np.random.default_rng(3)
    matrix = rng.normal(0, 0.05, size=(48, 16)).astype(np.float32)
    matrix[:, 5] *= 40  # a column with outliers keeps its own scale
    matrix[:, 9] = 0.0  # and an empty one does not divide by zero
    q, scale = quantized(matrix)
    assert q.dtype == np.int8 and scale.shape == (16,) and np.abs(q).max() <= 127
    assert (np.abs(q * scale - matrix) <= scale / 2 + 1e-7).all()
    assert np.abs(q[:, 5]).max() == 127 and (q[:, 9] == 0).all()

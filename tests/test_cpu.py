"""Where conversations are embedded with 8-bit weights, and which: signed
where the CPU's int8 dot product does not saturate (VNNI, AMX), unsigned
where only AVX2 multiplies them (widened to 16 bits, exact), or as
MEMCLI_INT8 says."""

from __future__ import annotations

import numpy as np
import pytest

from memcli.base.errors import ConfigError
from memcli.models import cpu
from memcli.models.bert_onnx import quantized

AVX2 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2\nmodel name\t: AMD EPYC\n"
VNNI = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 avx512f avx512_vnni avx512_bf16\n"
OLD = "processor\t: 0\nflags\t\t: fpu sse2 sse4_2 avx\n"


def test_vnni_or_amx_take_signed_weights_avx2_alone_unsigned_and_older_cpus_none() -> None:
    assert cpu.int8_form(VNNI) == "int8"
    assert cpu.int8_form(AVX2.replace("bmi2", "bmi2 avx_vnni")) == "int8"
    assert cpu.int8_form(AVX2.replace("bmi2", "bmi2 amx_int8")) == "int8"
    assert cpu.int8_form(AVX2) == "uint8"
    assert cpu.int8_form(OLD) is None
    assert cpu.int8_form("model name\t: avx512_vnni avx2 lookalike\n") is None  # only the flags line counts
    assert cpu.int8_form("") is None


@pytest.mark.parametrize("machine", [VNNI, AVX2, OLD])
@pytest.mark.parametrize("value", ["0", "1"])
def test_memcli_int8_decides_over_the_cpu(monkeypatch: pytest.MonkeyPatch, machine: str, value: str) -> None:
    monkeypatch.setattr(cpu, "cpu_int8_form", lambda: cpu.int8_form(machine))
    monkeypatch.setenv("MEMCLI_INT8", value)
    # forced on, a CPU without a form of its own takes the unsigned one, exact on every kernel
    expected = None if value == "0" else (cpu.int8_form(machine) or "uint8")
    assert cpu.int8_weights() == expected


def test_a_memcli_int8_that_is_not_0_or_1_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMCLI_INT8", "yes")
    with pytest.raises(ConfigError, match="MEMCLI_INT8 must be 0 or 1, not 'yes'"):
        cpu.int8_weights()


def test_without_memcli_int8_the_cpu_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMCLI_INT8", raising=False)
    assert cpu.int8_weights() == cpu.cpu_int8_form()
    monkeypatch.setattr(cpu, "cpu_int8_form", lambda: cpu.int8_form(AVX2))
    assert cpu.int8_weights() == "uint8"


def test_a_matrix_in_int8_is_within_half_a_step_of_each_column() -> None:
    rng = np.random.default_rng(3)
    matrix = rng.normal(0, 0.05, size=(48, 16)).astype(np.float32)
    matrix[:, 5] *= 40  # a column with outliers keeps its own scale
    matrix[:, 9] = 0.0  # and an empty one does not divide by zero
    q, scale = quantized(matrix)
    assert q.dtype == np.int8 and scale.shape == (16,) and np.abs(q).max() <= 127
    assert (np.abs(q * scale - matrix) <= scale / 2 + 1e-7).all()
    assert np.abs(q[:, 5]).max() == 127 and (q[:, 9] == 0).all()


def test_unsigned_weights_are_the_same_steps_around_zero_point_128() -> None:
    matrix = np.random.default_rng(4).normal(0, 0.05, size=(32, 8)).astype(np.float32)
    signed, scale = quantized(matrix)
    unsigned, same = quantized(matrix, unsigned=True)
    assert unsigned.dtype == np.uint8 and np.array_equal(scale, same)
    assert np.array_equal(unsigned.astype(np.int16) - 128, signed.astype(np.int16))
    assert 1 <= unsigned.min() and unsigned.max() <= 255

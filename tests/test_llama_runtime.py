"""The behaviours of llama-cpp-python that memcli/models/llama_runtime.py works
around, pinned: if an upgrade changes one, a test here fails and says which
workaround to revisit. And the workarounds themselves, through a real load."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest

from memcli.models.bundled import smollm2_path

pytestmark = pytest.mark.real_models
SMOL = str(smollm2_path())


def test_llama_sets_its_model_params_before_the_model_exists() -> None:
    """Workaround 3 (AMX) turns use_extra_bufts off as Llama assigns model_params:
    that only works while Llama builds the parameters into that attribute before
    it loads the model, and while the parameters have that field."""
    from llama_cpp import Llama

    seen: list[tuple[bool, bool]] = []

    class Probe(Llama):  # type: ignore[misc]
        @property
        def model_params(self) -> Any:
            return self.__dict__["probe_params"]

        @model_params.setter
        def model_params(self, params: Any) -> None:
            seen.append(("_model" in self.__dict__, hasattr(params, "use_extra_bufts")))
            self.__dict__["probe_params"] = params

    llm = Probe(model_path=SMOL, n_ctx=256, verbose=True)
    llm.close()
    assert seen == [(False, True)]


def test_a_verbose_load_prints_on_python_stderr_which_is_why_it_is_caught(capsys: pytest.CaptureFixture[str]) -> None:
    """Workaround 1 loads with verbose=True (no fd redirection), so the library's own
    prints of the load reach sys.stderr and must be caught there."""
    from llama_cpp import Llama

    llm = Llama(model_path=SMOL, n_ctx=256, verbose=True)
    llm.close()
    assert "Model metadata" in capsys.readouterr().err


def test_memcli_loads_quietly_and_leaves_other_threads_output_alone(capfd: pytest.CaptureFixture[str]) -> None:
    from llama_cpp import Llama

    from memcli.models.llama_runtime import llama_class, load

    other: list[str] = []
    started = threading.Event()
    done = threading.Event()

    def chatter() -> None:
        started.set()
        while not done.is_set():
            print("other thread", file=sys.stderr)
            other.append("x")
            done.wait(0.001)

    thread = threading.Thread(target=chatter)
    thread.start()
    started.wait()
    try:
        llm = load(SMOL, n_ctx=256)
    finally:
        done.set()
        thread.join()
    text = llm.create_completion("Hello", max_tokens=2, temperature=0.0)["choices"][0]["text"]
    err = capfd.readouterr().err
    assert isinstance(text, str)
    assert llm.verbose is False
    # nothing of the load or the generation; every line of the other thread
    assert set(err.split("\n")) <= {"other thread", ""} and err.count("other thread") == len(other)
    if llama_class() is not Llama:
        assert llm.model_params.use_extra_bufts is False  # an AMX CPU: workaround 3 applied
    llm.close()


def test_a_refused_file_says_why_in_llama_cpps_own_words(tmp_path: Any) -> None:
    from memcli.models.llama_runtime import LoadFailed, load

    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(LoadFailed) as caught:
        load(str(bad), n_ctx=256)
    assert caught.value.reason and "Failed to load model" not in caught.value.reason

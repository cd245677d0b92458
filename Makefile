# One command sets everything up and starts memcli; one runs the whole suite.
# Both create .venv and install torch==2.13.0 (a CPU build) before anything that
# depends on torch, so pip never pulls a CUDA build.

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install chat test bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev]'
	touch $@

chat: install
	$(VENV)/bin/memcli chat

test: install
	$(PY) -m pytest

bench: install
	$(PY) bench/bench_store.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

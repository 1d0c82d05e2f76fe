# toolsmith: every target bootstraps .venv on first use and is a no-op when it is up to date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.toolsmith-installed
LLAMACPP := packages/shared/src/toolsmith/shared/llamacpp.py
DOMAINS := lint test docstring sample_data
TOOLSMITH := $(BIN)/toolsmith
ARGS ?=

.PHONY: install test test-slow base bench-train generate-all train-all eval-all lint-code
.DEFAULT_GOAL := test

$(STAMP): pyproject.toml $(wildcard packages/*/pyproject.toml) Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0  # first, so nothing resolves a CUDA build
	$(BIN)/python $(LLAMACPP) wheel  # cached llama-cpp-python wheel (built from the sdist once, ~7 min)
	$(BIN)/python -m pip install -q "$$($(BIN)/python $(LLAMACPP) wheel)" \
		"$$($(BIN)/python $(LLAMACPP) converter)/gguf-py" $(addprefix -e ./,$(wildcard packages/*))
	touch $@

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint-code: $(STAMP)
	$(BIN)/ruff check packages tests

base: $(STAMP)
	$(TOOLSMITH) base $(ARGS)

generate-%: $(STAMP)
	$(TOOLSMITH) generate $* $(ARGS)

train-%: $(STAMP)
	$(TOOLSMITH) train $* $(ARGS)

eval-%: $(STAMP)
	$(TOOLSMITH) eval $* $(ARGS)

bench-train: $(STAMP)
	$(TOOLSMITH) bench-train $(ARGS)

generate-all: $(addprefix generate-,$(DOMAINS))
train-all: $(addprefix train-,$(DOMAINS))
eval-all: $(STAMP)
	@failed=""; for d in $(DOMAINS); do \
		if [ -f agents/$$d/models/$${d}_functiongemma_q8.gguf ]; then \
			$(TOOLSMITH) eval $$d $(ARGS) || failed="$$failed $$d"; \
		else echo "eval-all: skipping $$d (no GGUF: make train-$$d)"; fi; \
	done; $(TOOLSMITH) results; test -z "$$failed" || { echo "eval-all: failed:$$failed"; exit 1; }

# Two entry points: `make book` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BOOKFLAGS ?= --keep-going
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1

.PHONY: book test install lint clean clean-cache benchmarks

# Reinstall whenever the requirements change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[book,test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check rnnctx_utils tests notebooks benchmarks
	$(BIN)/mypy rnnctx_utils

test: lint
	$(OFFLINE) $(BIN)/pytest

# Execute every chapter (cached per notebook by jupyter-cache) and render HTML to _build/html.
book: $(STAMP)
	$(OFFLINE) $(BIN)/jupyter-book build . $(BOOKFLAGS)

benchmarks: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf _build/html _build/jupyter_execute _build/.doctrees _build/.jupyter_cache

clean-cache:
	rm -rf _build/cache

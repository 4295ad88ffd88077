# Two entry points: `make book` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BOOKFLAGS ?= --keep-going
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
# glibc keeps freed memory for reuse in every process of a build, Jupyter kernels included
# (training 15-20% faster; see rnnctx_utils/allocator.py). RNNCTX_MALLOC_REUSE=0 turns it off.
ifneq ($(RNNCTX_MALLOC_REUSE),0)
MALLOC := GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647
endif

.PHONY: book test install lint clean clean-cache benchmarks check-browser

# Reinstall whenever the requirements change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[book,test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check rnnctx_utils tests notebooks benchmarks .ci book/_ext
	$(BIN)/mypy rnnctx_utils

test: lint
	$(OFFLINE) $(MALLOC) $(BIN)/pytest

# Execute every chapter (cached per notebook by jupyter-cache) and render HTML to _build/html.
book: $(STAMP)
	$(OFFLINE) $(MALLOC) $(BIN)/jupyter-book build . $(BOOKFLAGS)

# Open every page of _build/html in headless Chromium (apt-get install chromium), offline; fails on
# console errors, missing images, unrendered math, error cells; screenshots in _build/screenshots.
check-browser: $(STAMP)
	$(BIN)/python .ci/check_browser.py _build/html

benchmarks: $(STAMP)
	for script in benchmarks/bench_*.py; do $(MALLOC) $(BIN)/python $$script || exit 1; done

clean:
	rm -rf _build/html _build/jupyter_execute _build/.doctrees _build/.jupyter_cache _build/screenshots

clean-cache:
	rm -rf _build/cache

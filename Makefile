# Two entry points: `make book` and `make test`. Both create .venv themselves; `make lab` opens
# the chapters in JupyterLab.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_STAMP := $(VENV)/.installed-lab
BOOKFLAGS ?= --keep-going
# Offline by default; RNNCTX_ONLINE=1 lets a hub corpus (RNNCTX_CORPUS=imdb) download once.
ifeq ($(RNNCTX_ONLINE),1)
OFFLINE := HF_HUB_OFFLINE=0 HF_DATASETS_OFFLINE=0
else
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
endif
# glibc keeps freed memory for reuse in every process of a build, Jupyter kernels included
# (training 15-20% faster; see rnnctx_utils/allocator.py). RNNCTX_MALLOC_REUSE=0 turns it off.
ifneq ($(RNNCTX_MALLOC_REUSE),0)
MALLOC := GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647
endif

# make lab: which Jupyter (lab, or notebook for the Notebook 7 interface), on which folder, with
# which extra flags (LABFLAGS="--no-browser --port=8899"; --allow-root where Jupyter runs as root).
LAB ?= lab
LABDIR ?= notebooks
LABFLAGS ?=
# The lab settings that every JupyterLab of .venv starts from: a chapter `.py` opens as a notebook.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/rnnctx.json

.PHONY: book test install install-lab lab lint clean clean-cache benchmarks check-browser \
	real-summaries check-real

# Reinstall whenever the requirements change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[book,test]'
	touch $(STAMP)

install: $(STAMP)

# The `lab` extra (JupyterLab, Notebook 7) on top of the normal install, again when pyproject.toml
# changes.
$(LAB_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[book,test,lab]'
	touch $(LAB_STAMP)

$(LAB_OVERRIDES): jupyter/overrides.json
	mkdir -p $(dir $@)
	cp $< $@

install-lab: $(LAB_STAMP) $(LAB_OVERRIDES)

# JupyterLab on notebooks/, with the environment of the book's own processes; the server settings
# (jupytext's contents manager: a chapter `.py` opens as a notebook, saving writes the `.py`) are in
# jupyter/jupyter_server_config.py. tests/test_lab.py runs this recipe.
lab: install-lab
	$(OFFLINE) $(MALLOC) $(BIN)/jupyter $(LAB) --config=jupyter/jupyter_server_config.py \
		--ServerApp.root_dir="$(LABDIR)" $(LABFLAGS)

lint: $(STAMP)
	$(BIN)/ruff check rnnctx_utils tests notebooks benchmarks .ci book/_ext jupyter
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

# The real-review summaries of the page "On real reviews" (book/data/real/<corpus>.json): run
# chapters 1-6 on local copies of SST-2 and IMDB (REAL_DATA). `make real-summaries` rewrites
# them; `make check-real` (CI) recomputes SST-2 and fails if a headline number moved.
REAL_DATA ?= ../shared/data
REAL_CORPORA ?= sst2 imdb
real-summaries: $(STAMP)
	for corpus in $(REAL_CORPORA); do $(OFFLINE) $(MALLOC) $(BIN)/python \
		benchmarks/real_corpus_summary.py $$corpus --data $(REAL_DATA) || exit 1; done

check-real: $(STAMP)
	$(OFFLINE) $(MALLOC) $(BIN)/python benchmarks/real_corpus_summary.py sst2 \
		--data $(REAL_DATA) --check

clean:
	rm -rf _build/html _build/jupyter_execute _build/.doctrees _build/.jupyter_cache _build/screenshots

clean-cache:
	rm -rf _build/cache

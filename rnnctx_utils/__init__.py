"""rnnctx_utils: reverse-engineering contextual processing in sentiment RNNs."""

import warnings

# `datasets` imports tqdm.auto, which warns in a Jupyter kernel without ipywidgets; the book
# prints plain progress lines there (rnnctx_utils.train), so the warning is noise on a page.
warnings.filterwarnings("ignore", message="IProgress not found")

# Importing the package leaves the process's allocator alone: the book's own processes get
# glibc's memory reuse from GLIBC_TUNABLES (Makefile), a script may opt in with
# rnnctx_utils.allocator.keep_freed_memory() before its first JAX computation.

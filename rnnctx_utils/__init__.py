"""rnnctx_utils: reverse-engineering contextual processing in sentiment RNNs."""

import warnings

from rnnctx_utils import allocator

# `datasets` imports tqdm.auto, which warns in a Jupyter kernel without ipywidgets; the book
# prints plain progress lines there (rnnctx_utils.train), so the warning is noise on a page.
warnings.filterwarnings("ignore", message="IProgress not found")

# Before JAX starts its CPU backend: see rnnctx_utils.allocator (about 17% of a training step).
allocator.keep_freed_memory()

# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Strength and timing of modifiers
#
# **What the paper claims.** The excursion is transient: 'not' lasts about 2 tokens, 'extremely' about 1 (P2). The beginning and end of a document are processed differently.
#
# This chapter is being written; it will rebuild the paper's figures from this book's own
# trained network and print the paper's numbers next to ours.

# %%
from rnnctx_utils.config import config

cfg = config()
print(f"corpus: {cfg.corpus}, cell: {cfg.cell}, digest: {cfg.digest()}")

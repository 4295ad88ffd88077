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
# # Finding the modifiers
#
# **What the paper claims.** Some tokens, the modifiers, move the state off the line attractor into a low-dimensional subspace where the input Jacobian differs (P2).
#
# This chapter is being written; it will rebuild the paper's figures from this book's own
# trained network and print the paper's numbers next to ours.

# %%
from rnnctx_utils.config import config

cfg = config()
print(f"corpus: {cfg.corpus}, cell: {cfg.cell}, digest: {cfg.digest()}")

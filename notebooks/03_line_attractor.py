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
# # The line attractor
#
# **What the paper claims.** The trained network's states lie near a low-dimensional manifold (top 2–3 PCs ≈ 90% of the variance), the fixed points form a 1-D line, the top eigenvalue is ≈ 1 all along it, and the top mode is aligned with the readout (P1).
#
# This chapter is being written; it will rebuild the paper's figures from this book's own
# trained network and print the paper's numbers next to ours.

# %%
from rnnctx_utils.config import config

cfg = config()
print(f"corpus: {cfg.corpus}, cell: {cfg.cell}, digest: {cfg.digest()}")

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
# # Appendix: P2's toy language
#
# **What the paper claims.** A GRU trained on a 12-symbol language with 'not' and 'very' uses different eigenmodes for the two (P2 §4).
#
# This chapter is being written; it will rebuild the paper's figures from this book's own
# trained network and print the paper's numbers next to ours.

# %%
from rnnctx_utils.config import config

cfg = config()
print(f"corpus: {cfg.corpus}, cell: {cfg.cell}, digest: {cfg.digest()}")

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
# # The task: sentiment classification
#
# **What the paper claims.** A recurrent network reads a review token by token and its final state is read out linearly into a positive/negative logit (P1 §3). GRUs, LSTMs and UGRNNs reach about the accuracy of a bag-of-words model on IMDB and SST and beat it on Yelp (P1 Table 1). P2 opens with the readout over time for a sentence, its negation and its intensification.
#
# This chapter is being written; it will rebuild the paper's figures from this book's own
# trained network and print the paper's numbers next to ours.

# %%
from rnnctx_utils.config import config

cfg = config()
print(f"corpus: {cfg.corpus}, cell: {cfg.cell}, digest: {cfg.digest()}")

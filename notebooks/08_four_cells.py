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
# (four-cells)=
# # Appendix: one mechanism in four cells
#
# {cite:t}`maheswaranathan2019line` (P1) found line attractors in every cell it trained
# (vanilla RNN, UGRNN, GRU, LSTM); {cite:t}`maheswaranathan2020contextual` (P2) studied the
# modifier mechanism in a GRU. Is that mechanism a GRU quirk? This page trains the four cells
# on the book's corpus and runs the analyses of chapters 1–6 on each: one row per cell.
#
# **What is trained.** The book's own cell (the GRU unless `RNNCTX_CELL` says otherwise) is
# the model of chapters 1–6, from the same cache entry. The other three cells have the same
# corpus, sizes, optimiser and schedule, except where `cells_compare.REDUCED` shortens it to
# keep the page within its build-time budget: {glue:text}`cells_schedule:s`

# %%
import time

import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from rnnctx_utils import cells_compare as cc
from rnnctx_utils import cells_tables as ct
from rnnctx_utils.config import config
from rnnctx_utils.plots import cells as cell_plots
from rnnctx_utils.plots.task import table

start = time.perf_counter()
cfg = config()
print(cfg.describe())

# %%
results = [cc.compare_cell(cfg, cell) for cell in cc.CELL_ORDER]
print(f"four cells trained or loaded and analysed in {time.perf_counter() - start:.0f} s")
glue("cells_schedule", ct.schedule_reading(cfg, results), display=False)
print(ct.schedule_reading(cfg, results))

# %% [markdown]
# ## Accuracy
#
# P1's Table 1 layout: the test accuracy of each cell next to the bag-of-words baseline (the
# same for every row: it does not depend on the cell) and the Bayes ceiling of the synthetic
# corpus (the planted rule's expected accuracy, the best any classifier can do); P1's
# accuracies of the same cell on its three corpora for reference (not comparable in value:
# different corpora; only the ordering of the cells can be compared).

# %%
display(table(ct.ACCURACY_HEADER, ct.accuracy_rows(results)))

# %% [markdown]
# ## The line attractor in each cell
#
# Chapter {ref}`ch-line-attractor`'s measures: the variance of the visited states in the top
# 2 / 3 principal components, the number of slow points and the share of their variance on
# their first PC (one line), the fraction of the visited readout range the slow points cover,
# the top eigenvalue |λ₁| of the recurrent Jacobian at 50 slow points along the line and its
# median time constant τ₁, and the median |cos| of the slow mode r₁ with the readout w
# against the 99th percentile of random directions. S is the state size: the LSTM's state is
# [h; c], twice the hidden size, and every analysis runs on all of it (readout, fixed points,
# Jacobians, modifier subspace). The last column checks the Jacobian of each cell at the
# middle slow point against central finite differences of the cell.

# %%
display(table(ct.LINE_HEADER, ct.line_rows(results)))

# %% mystnb={"figure": {"caption": "The visited states of each cell on its first two principal components (grey hexagonal bins, log scale), one panel per cell, with the slow points coloured by their readout (blue negative, red positive) and the initial state h0 as a black star.", "name": "fig-cells-density"}}
cell_plots.state_density_grid(results, cc.CELL_LABELS)
plt.show()

# %% [markdown]
# ## The modifiers in each cell
#
# Chapters {ref}`ch-modifiers`, {ref}`ch-strength-timing` and
# {ref}`ch-necessity-sufficiency`'s measures: how many tokens the score-only cut selects
# and, against the planted modifiers, its precision and recall; the modifier subspace's
# dimension; the cosine between the mean deflections of the measured negators and
# intensifiers; the time constants of the excursion after "not" and "extremely" (tokens);
# the gain g(0) of "not" on the next valence word, intact, with the modifier subspace
# removed, and with random subspaces of the same dimension removed (mean of
# {glue:text}`cells_n_random` draws; a negative g(0) is a flip); and chapter 6's
# **sufficiency** test.
#
# **Sufficiency, per cell.** Chapter {ref}`ch-necessity-sufficiency`'s "+ both" member of
# the augmented bag-of-words family (P2's M9: a learned valence per word, a gain α and a
# timescale τ per modifier, a weight for the beginning and the end of the document), fitted
# with the modifiers *that cell's* analysis discovered (the "modifiers found" column), nested
# over the book's bag-of-words baseline and trained as chapter 6 trains it
# ({glue:text}`cells_suff_steps` Adam steps with the baseline's valences held fixed, then half
# as many on everything; the step kept is the best on validation, so the fit is never below the
# baseline there). The last column is its recovered fraction of *that cell's* accuracy gain
# over bag-of-words, (augmented − BoW) / (RNN − BoW) on the test split, with a 95% paired
# bootstrap interval over test documents. The baseline does not depend on the cell, so it is
# fitted once (it is the book's); the family depends on the cell only through its modifier
# set, so cells that found the same set share one fit: {glue:text}`cells_suff_fits:s` The
# book's cell goes first, so its value is chapter 6's "+ both" row.

# %%
glue("cells_n_random", cc.N_RANDOM, display=False)
suff_start = time.perf_counter()
results = cc.add_sufficiency(cfg, results)
print(f"sufficiency (augmented bag-of-words fits) in {time.perf_counter() - suff_start:.0f} s")
glue("cells_suff_steps", f"{cc.sufficiency_settings(cfg).fit_steps:,}", display=False)
glue("cells_suff_fits", ct.sufficiency_fits(results), display=False)
display(table(ct.MODIFIER_HEADER, ct.modifier_rows(results)))

# %% mystnb={"figure": {"caption": "Every token's mean deflection on the first two principal components of each cell's modifier deflections, coloured by log10 of its modifier score (yellow: highest), one panel per cell with the dimension d of the modifier subspace in the title (the subspace keeps the first d components, so where d = 1 the vertical axis lies outside it); the top selected modifiers and P2's two words 'not' and 'extremely' are written out.", "name": "fig-cells-modifiers"}}
cell_plots.modifier_scatter_grid(results, cc.CELL_LABELS)
plt.show()

# %% [markdown]
# ## What the numbers say
#
# Each sentence below is generated from the cell's numbers: a cell shows a line attractor
# when its slow points lie on one line (≥ 90% of their variance on one PC), at least half of
# them have |λ₁| within 0.02 of 1 and r₁ is aligned with the readout beyond the random null;
# it shows the negation mechanism when "not" flips the next word, removing the modifier
# subspace abolishes the flip and removing random subspaces does not; the augmented family
# recovers its mechanism when the cell beats bag-of-words at 95% and the family, with the
# cell's own modifiers, recovers at least 90% of that gain (chapter 6's verdict).

# %%
display(Markdown("\n".join(f"- {ct.reading(r)}" for r in results)))
glue("cells_summary", ct.summary_reading(results), display=False)
print(ct.summary_reading(results))

# %% [markdown]
# {glue:text}`cells_summary:s` Chapter {ref}`ch-line-attractor` recalls that P1 found the
# line attractor whatever the cell; where a cell here fails the criterion, the rows above say
# which part fails (slow points off one line, |λ₁| away from 1, or a slow mode that does not
# reach the readout), and a negation flip without a line attractor means the cell negates
# through its modifier subspace while keeping the running sum some other, leakier way.

# %% [markdown]
# **Planted, not discovered.** The synthetic corpus plants its modifiers: every document is
# labelled by a rule in which "not" flips and "extremely" amplifies the next valence word
# (chapter {ref}`ch-task`). Any cell that reaches the Bayes ceiling must therefore represent
# them somehow, so their recovery by the modifier score is partly by construction; what is
# not planted is *how* each cell represents them (a separate subspace off the line attractor,
# its dimension, its time constants), which is what the rows above compare. A cell whose test
# accuracy stays far below the ceiling has not learnt the rule, and the absence of the
# mechanism there says nothing about whether the cell *could* implement it. The same holds
# for the sufficiency column, generated from its numbers below:

# %%
display(Markdown(ct.planted_sufficiency_reading(cfg, results)))

# %%
glue("cells_seconds", f"{time.perf_counter() - start:.0f}", display=False)

# %% [markdown]
# This page took {glue:text}`cells_seconds` s to build (training included when the cache
# was empty for a cell).

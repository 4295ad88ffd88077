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
# (ch-task)=
# # The task: sentiment classification
#
# **Overview.** {cite:t}`maheswaranathan2019line` (P1) and
# {cite:t}`maheswaranathan2020contextual` (P2) study recurrent networks trained to read a
# review one token at a time and output, after the last token, a single number: the logit
# of "positive". This chapter sets up the task the rest of the book reverse-engineers: the
# corpus, the network, its training, its accuracy next to P1's Table 1, and P2's opening
# figure, the readout after every token of a sentence, its negation and its intensification.
#
# **Learning goals.** After this chapter you can
#
# - describe the classification task and the network (embedding → recurrent cell → linear
#   readout of the last state) with the shapes of every object;
# - load the book's trained model with one call, and switch corpus or cell by configuration;
# - compare an RNN with a bag-of-words baseline and, on the synthetic corpus, with the best
#   possible (Bayes) accuracy;
# - read a readout-over-time plot: where negation and intensification show up.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from myst_nb import glue

from rnnctx_utils import analysis, experiment, task_report
from rnnctx_utils.config import config
from rnnctx_utils.plots import task as task_plots

cfg = config()  # RNNCTX_CORPUS, RNNCTX_CELL, RNNCTX_FAST=1 ... change it
print(cfg.describe())

# %% [markdown]
# ## The corpus
#
# The objects in play: a **document** is a list of T tokens (lower-cased words and
# punctuation, `text.tokenize`), its **label** y ∈ {0, 1} (negative, positive). The default
# corpus is the book's *synthetic review language*: generated offline, with a planted rule
# (below) that plays the role of the truth we want the network to discover. Real corpora
# (IMDB, Yelp, SST-2) are one setting away (`RNNCTX_CORPUS=imdb`).

# %%
corpus = experiment.corpus(cfg)
print(corpus.description)
for text_, label in zip(corpus.train["text"][:4], corpus.train["label"][:4], strict=True):
    print(f"[{'positive' if label else 'negative'}] {text_[:300]}")

# %% [markdown]
# The network is trained once per configuration and cached; this call trains it (a few
# minutes for the default configuration on a laptop CPU) or loads it.

# %%
model = experiment.trained_model(cfg)
splits = experiment.encoded_splits(cfg, model.vocab)
train_lengths = np.asarray(splits.train.data.lengths)
train_labels = np.asarray(splits.train.data.labels)
print(f"vocabulary: {len(model.vocab)} tokens; train/valid/test documents: "
      f"{splits.train.data.n_docs}/{splits.valid.data.n_docs}/{splits.test.data.n_docs}; "
      f"truncated to their {cfg.truncate} {cfg.max_len} tokens: {splits.train.n_truncated}")

# %% mystnb={"figure": {"caption": "The training documents. Left: histogram of document lengths in tokens, positive documents in green and negative ones in purple. Right: the number of training documents with each label.", "name": "fig-ch1-corpus"}}
task_plots.corpus_overview(train_lengths, train_labels)
plt.show()

# %% [markdown]
# Lengths run from {glue:text}`ch1_min_len` to {glue:text}`ch1_max_len` tokens and
# {glue:text}`ch1_positive_fraction:.3f` of the training documents are positive: the classes
# are balanced, so 50% is chance.

# %%
glue("ch1_min_len", int(train_lengths.min()), display=False)
glue("ch1_max_len", int(train_lengths.max()), display=False)
glue("ch1_positive_fraction", float(train_labels.mean()), display=False)

# %% [markdown]
# ### The planted rule (synthetic corpus only)
#
# Each word has a **role**. Valence words carry a valence v; a **modifier** (negator,
# intensifier, diminisher, contrast word) multiplies the valence of the words after it by a
# gain that starts at α and relaxes to 1 with a time constant τ (tokens); a **position
# weight** p(t, T) makes the beginning and end of a document count more. The document score
# is Σ_t p(t, T) · m_t · v(x_t), and the label is drawn from a logistic of that score, so
# even the rule itself is not always right: its expected accuracy is the **Bayes accuracy**,
# the ceiling for any classifier. This is the same form as P2's augmented bag-of-words
# model, planted, so that later chapters can check what the network learned against it.

# %%
truth = corpus.ground_truth
if cfg.is_synthetic and truth is not None:
    roles = {role: truth.words_with_role(role) for role in sorted(set(truth.roles.values()))}
    display(task_plots.table(
        ["role", "words", "examples"],
        [[role, len(words), ", ".join(words[:8])] for role, words in roles.items()]))
    display(task_plots.table(
        ["modifier", "gain α", "time constant τ (tokens)"],
        [[w, f"{m.alpha:+.2f}", f"{m.tau:.1f}"] for w, m in truth.modifiers.items()]))
else:
    print("A real corpus: no planted rule; the analyses use the bag-of-words baseline instead.")

# %% mystnb={"figure": {"caption": "The planted position weight p(t, T) against the position t of a word in a document of T = 60 tokens; the grey line marks weight 1.", "name": "fig-ch1-position"}}
if cfg.is_synthetic and truth is not None:
    task_plots.position_weights(truth.position)
    plt.show()

# %% [markdown]
# ## The model
#
# Token ids are embedded (x_t ∈ ℝ^E, a row of an E-column embedding matrix), fed to a
# recurrent cell h_t = F(hₜ₋₁, x_t) with h_t ∈ ℝ^S and a *trained* initial state h_0,
# and the last state is read out linearly: logit = wᵀh_T + b. The default cell is a GRU
# (P2's main model); vanilla, UGRNN and LSTM are available (`RNNCTX_CELL`). Training is
# Adam on the cross-entropy with exponential learning-rate decay, gradient clipping and a
# little L2, keeping the parameters that are best on the validation split.
#
# The bag-of-words baseline is the standard one a reviewer would fit
# (`rnnctx_utils.bow`): an L2-penalised logistic regression, logit = b + Σ_w u_w f_w(doc),
# on the **whole** document (the RNN's `max_len` truncation does not apply to it), solved to
# optimality (trust-region Newton). The features f_w are word counts (they beat word presence
# on validation on all three corpora we tried, see `bow.BOOK_FEATURES`) and the penalty C is
# chosen on the validation split, never on test labels. It is the one bag-of-words number of
# this book: every later "RNN vs bag-of-words" refers to it, and chapter 6's augmented
# models start from it.

# %%
# the network's size (parameters per block), its training run and the bag-of-words baseline
for line in task_report.training_lines(model, cfg.cell, cfg.n_embed):
    print(line)

# %% mystnb={"figure": {"caption": "The training run. Left: cross-entropy loss against training step on the training data (blue) and the validation split (orange). Right: accuracy on the same, with the bag-of-words test accuracy (dashed grey) and, on the synthetic corpus, the Bayes accuracy of the planted rule (dotted black).", "name": "fig-ch1-training"}}
task_plots.training_curves(model.history, model.bow_metrics["test_accuracy"],
                           model.metrics.get("bayes_accuracy"))
plt.show()

# %% [markdown]
# ## Accuracy: RNN, bag-of-words and the ceiling
#
# P1's Table 1 reports test accuracy of four cells and a bag-of-words model on three
# corpora. Here are its rows with ours under them.

# %%
rnn_acc = model.metrics["test_accuracy"]
bow_acc = model.bow_metrics["test_accuracy"]
bayes = model.metrics.get("bayes_accuracy", float("nan"))
rows = task_report.accuracy_rows(cfg.corpus, cfg.cell, rnn_acc, bow_acc)  # P1's rows, then ours
display(task_plots.table(["dataset", "BoW", "vanilla", "UGRNN", "GRU", "LSTM"], rows))
glue("ch1_rnn_accuracy", 100 * rnn_acc, display=False)
glue("ch1_bow_accuracy", 100 * bow_acc, display=False)
glue("ch1_bayes_accuracy", 100 * bayes, display=False)
glue("ch1_bayes_text", task_report.bayes_text(bayes), display=False)

# %% [markdown]
# Our {glue:text}`ch1_rnn_accuracy:.2f`% for the RNN against {glue:text}`ch1_bow_accuracy:.2f`%
# for bag-of-words (test split). The Bayes accuracy of the planted rule, the best any
# classifier can do on this corpus, is {glue:text}`ch1_bayes_text:s`. The RNN's margin
# over bag-of-words is what the modifiers and position effects buy: the planted rule has
# both, and a bag of words can represent neither. P1 found the gap small on IMDB and SST
# and a couple of points on Yelp; on our planted corpus its size is set by how much of the
# score comes from modifiers, not by anything about natural language, so the numbers are
# not comparable to P1's, only the ordering RNN ≥ BoW is.
#
# ## P2's opening figure: the readout over time
#
# P2 opens with the readout wᵀh_t + b after every token of three sentences: a baseline, its
# negation and its intensification. A network that only summed word valences (a bag of
# words) would draw the same curve for all three up to the modifier words' own weights;
# the trained RNN flips the effect of "awesome" and "like" after "not" / "n't" and
# amplifies it after "extremely" / "definitely". On the synthetic corpus, the planted rule's
# running score (dashed, right axis) is the target shape.

# %%
probe_sentences = ["This movie is awesome. I like it.",
                   "This movie is not awesome. I don't like it.",
                   "This movie is extremely awesome. I definitely like it."]
probes = analysis.probe_readouts(model, probe_sentences)
planted = ([truth.score_tokens(list(p.tokens))[1] for p in probes]
           if cfg.is_synthetic and truth is not None else None)
for p in probes:
    unknown = [t for t, k in zip(p.tokens, p.known, strict=True) if not k]
    print(f"{p.sentence!r:60s} final logit {p.logits[-1]:+.2f}  unknown words: {unknown}")

# %% mystnb={"figure": {"caption": "P2's opening figure: the readout wᵀh_t + b (blue, left axis) after every token of the baseline, negated and intensified probe sentences, one panel each, starting from h0. On the synthetic corpus the planted rule's running score is drawn dashed in orange on the right axis, with the same zero as the readout.", "name": "fig-ch1-probes"}}
task_plots.probe_readouts(probes, planted)
plt.show()

# %%
final = {name: float(p.logits[-1]) for name, p in zip(["base", "not", "extremely"], probes,
                                                       strict=True)}
for name, value in final.items():
    glue(f"ch1_probe_{name}", value, display=False)
if planted is not None:
    for name, contrib in zip(["base", "not", "extremely"], planted, strict=True):
        glue(f"ch1_planted_{name}", float(contrib.sum()), display=False)

# %% [markdown]
# The final logits are {glue:text}`ch1_probe_base:+.2f` (baseline),
# {glue:text}`ch1_probe_not:+.2f` (negated) and {glue:text}`ch1_probe_extremely:+.2f`
# (intensified). P2's figure shows the negated sentence ending negative and the intensified
# one ending above the baseline; the table below says whether ours does.
#
# ## Paper vs this book

# %%
sign_flip = final["not"] < 0 < final["base"]
stronger = final["extremely"] > final["base"]
glue("ch1_negation_flips", str(sign_flip), display=False)
glue("ch1_intensifier_amplifies", str(stronger), display=False)
display(task_plots.table(
    ["quantity", "paper", "this book"],
    [["GRU test accuracy (%)", "95.84 (Yelp), 86.86 (IMDB), 80.25 (SST)",
      f"{100 * rnn_acc:.2f} ({cfg.corpus}, {cfg.cell})"],
     ["BoW test accuracy (%)", "93.37 / 88.53 / 79.74", f"{100 * bow_acc:.2f}"],
     ["Bayes accuracy (%)", "– (unknown for real text)", f"{100 * bayes:.2f}"],
     ["negated probe ends negative", "yes", "yes" if sign_flip else "NO"],
     ["intensified probe ends above baseline", "yes", "yes" if stronger else "NO"]]))

# %% [markdown]
# ## Exercises
#
# :::{exercise}
# :label: ch1-ex-cell
# Train a vanilla RNN instead of the GRU (`RNNCTX_CELL=vanilla`, rerun this chapter). Is
# its test accuracy above or below the GRU's, and by how much? P1 found the vanilla RNN the
# weakest cell on all three corpora.
# :::
#
# :::{solution} ch1-ex-cell
# :class: dropdown
# Run `RNNCTX_CELL=vanilla python notebooks/01_task.py` and read the accuracy table; the
# glued value `ch1_rnn_accuracy` is the one to compare with this page's. P1 found the vanilla
# cell lower on every corpus, and a reason to expect it: without gates, keeping a value for
# many tokens (the line attractor of {ref}`ch-line-attractor`) is harder to learn. This page
# does not run it (a second training); your run answers it.
# :::
#
# :::{exercise}
# :label: ch1-ex-probe
# Write your own probe pair, e.g. "the plot is good" / "the plot is never good", and plot
# the readout with `analysis.probe_readouts` and `plots.task.probe_readouts`. Does "never"
# act like "not"? Check its planted role with `corpus.ground_truth.roles["never"]`.
# :::
#
# :::{solution} ch1-ex-probe
# :class: dropdown
# ```python
# probes = analysis.probe_readouts(model, ["the plot is good .", "the plot is never good ."])
# task_plots.probe_readouts(probes, [truth.score_tokens(list(p.tokens))[1] for p in probes])
# ```
# On the synthetic corpus "never" is planted as a negator, so the planted score flips sign;
# the network's readout should drop below zero after "good" if it learned the negator.
# :::
#
# :::{exercise}
# :label: ch1-ex-bow
# Which words does the bag-of-words baseline weigh most? Sort `model.bow_params["weights"]`
# and print the 10 most positive and negative words. Where do the planted negators land?
# :::
#
# ```{solution-start} ch1-ex-bow
# :class: dropdown
# ```
#
# Sorted by weight, with the rank of every planted negator among all words (1 = most
# positive; on a real corpus, the words of the English negator list):

# %%
weights = np.asarray(model.bow_params["weights"])
by_weight = np.argsort(-weights)
rank = {model.vocab.tokens[i]: r + 1 for r, i in enumerate(by_weight)}
print("most positive:", ", ".join(model.vocab.tokens[i] for i in by_weight[:10]))
print("most negative:", ", ".join(model.vocab.tokens[i] for i in by_weight[::-1][:10]))
negators = ([w for w, role in truth.roles.items() if role == "negator"] if truth is not None
            else ["not", "n't", "no", "never"])
for word in (w for w in negators if w in rank):
    print(f"{word}: weight {weights[model.vocab.id(word)]:+.3f}, rank {rank[word]:,} "
          f"of {len(weights):,}")

# %% [markdown]
# A negator has no valence of its own but appears more often in negative documents when it
# mostly negates positive words, so the bag of words gives it a negative weight (printed
# above): the only thing a bag of words can do with a modifier.
#
# ```{solution-end}
# ```

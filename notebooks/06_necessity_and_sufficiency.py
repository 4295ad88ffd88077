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
# (ch-necessity-sufficiency)=
# # Necessity and sufficiency
#
# **Overview.** Chapters {ref}`ch-modifiers` and {ref}`ch-strength-timing` found the
# modifier tokens, the low-dimensional subspace they push the state into, and how strongly and
# for how long each one acts. {cite:t}`maheswaranathan2020contextual` close their argument with
# two tests, and so does this chapter:
#
# - **necessity**: keep the network out of the modifier subspace and it should stop handling
#   modifiers ("not good" no longer reads as negative), while keeping it out of a *random*
#   subspace of the same dimension should change little;
# - **sufficiency**: a bag-of-words model extended with exactly the two effects found inside
#   the network, a gain and a timescale per modifier token and a weight for the beginning and
#   end of the document, should recover most of the RNN's accuracy gain over plain
#   bag-of-words. P2 reports **more than 90%**.
#
# **Learning goals.** After this chapter you can
#
# - ablate a subspace of a trained RNN's state space while leaving the line attractor
#   intact, and design the random-subspace control that makes the result meaningful;
# - fit the augmented bag-of-words family and compute the *recovered fraction* with a paired
#   bootstrap interval;
# - read per-modifier residuals to say *which* part of the RNN's computation a simpler model
#   misses;
# - compare the gains and timescales a bag-of-words model learns with those measured inside
#   the network (and, on the synthetic corpus, with the planted ones).

# %%
import dataclasses
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

start = time.perf_counter()

# %% [markdown]
# The package's analyses (chapters 2–5), this chapter's reporting modules, which read out,
# table and judge the results by named functions, and the plots:

# %%
from rnnctx_utils import ablation_report as ablation
from rnnctx_utils import analysis, constructions, context, experiment, modifiers, real_summaries
from rnnctx_utils import augmented_bow as ab
from rnnctx_utils import claim_verdicts as claims
from rnnctx_utils import energetic_control as control
from rnnctx_utils import learned_vs_measured as compare
from rnnctx_utils import necessity_sufficiency as ns
from rnnctx_utils import sufficiency_report as report
from rnnctx_utils.config import config
from rnnctx_utils.plots import real as real_plots
from rnnctx_utils.plots import sufficiency as plots
from rnnctx_utils.plots import task as task_plots

# %% [markdown]
# The trained network, its line attractor and chapter 4's modifiers, all from the cache:

# %%
cfg = config()
print(cfg.describe())
model = experiment.trained_model(cfg)
splits = experiment.encoded_splits(cfg, model.vocab)
cloud = analysis.state_cloud(model)
attractor = analysis.line_attractor(model, cloud)  # cached: the same attractor as chapters 2-5
found = modifiers.modifier_analysis(model, attractor)  # the same modifiers as chapter 4
truth = experiment.corpus(cfg).ground_truth if cfg.is_synthetic else None

# %% [markdown]
# The objects in play (S state size, E embedding size, d subspace dimension):
#
# - the trained cell F(h [S], x [E]) → [S], initial state h₀ [S], readout w [S], b;
# - the **slow points** [m, S] that approximate the line attractor (chapter
#   {ref}`ch-linearization`), and its direction m [S];
# - the **modifier subspace** B [S, d] of chapter {ref}`ch-modifiers`, orthonormal and
#   orthogonal to m;
# - the **modifiers**: the tokens chapter 4's rule selected from their scores alone.

# %%
vocab_id = model.vocab.id
basis = found.subspace.basis
mod_words = found.modifiers or found.subspace_words  # fast configs may select none
mod_ids = [vocab_id(w) for w in mod_words]
F = model.step_function()
h0, w = np.asarray(model.params["h0"]), np.asarray(model.params["readout_w"])
b, embedding = float(model.params["readout_b"]), np.asarray(model.params["embedding"])
print(f"modifiers: {', '.join(mod_words)}; subspace dimension d = {found.subspace.dim} "
      f"of S = {w.size}")
glue("ch6_modifiers", ", ".join(mod_words), display=False)
glue("ch6_dim", int(found.subspace.dim), display=False)

# %% [markdown]
# ## Necessity: keep the network out of the modifier subspace
#
# The surgery (M8, *[ours]*: P2 describes the test, not its exact form). After every token,
# h' = F(h, x) is replaced by
#
# $$ h' \leftarrow h' - B B^\top \big(h' - h^*(h')\big), $$
#
# where h*(h') is the slow point nearest to h'. The state may still move *along* the line
# attractor (integration is untouched, since B ⟂ m), and anywhere outside span(B), but its
# excursion off the attractor loses every component in the modifier subspace. The trained
# initial state h₀ is projected the same way: P2 finds that it, too, lies in the modifier
# subspace. The **control** removes a random d-dimensional subspace, also orthogonal to m, in
# exactly the same way, over several random draws.

# %%
n_random = 3
random_bases = [context.random_subspace(seed, w.size, found.subspace.dim,
                                        exclude=attractor.direction)
                for seed in range(n_random)]
conditions = {"intact": None, "modifier subspace removed": basis}
# every k-th slow point (at most ~100): B ⟂ the line, so h*(h) moving along the line by
# half a spacing leaves B Bᵀ(h − h*) unchanged, and the nearest-point search is 5x cheaper
points = attractor.points[:: max(1, len(attractor.points) // 100)]

# %% [markdown]
# ### Probe sentences
#
# First the probes of chapter {ref}`ch-task`: the readout after every token of a plain, a
# negated and an intensified sentence.

# %% mystnb={"figure": {"caption": "Readout after every token of the three probe sentences, one panel each, for the intact network (blue), with the modifier subspace removed (orange) and with random subspaces of the same dimension removed (grey: the mean over draws, with a band of one standard deviation).", "name": "fig-ch6-probes"}}
probes = [s.split() for s in ("this movie is good .", "this movie is not good .",
                              "this movie is extremely good .")]
probe_x = [embedding[[vocab_id(t) for t in p]][None] for p in probes]
probe_z = {name: [ns.probe_logits(F, h0, w, b, x, points, q)[0] for x in probe_x]
           for name, q in conditions.items()}
random_z = [[ns.probe_logits(F, h0, w, b, x, points, q)[0] for x in probe_x]
            for q in random_bases]
probe_z["random subspace removed"] = [np.mean([r[p] for r in random_z], 0) for p in range(3)]
spread_z = {"random subspace removed": [np.std([r[p] for r in random_z], 0) for p in range(3)]}
fig = plots.probe_timecourses(probes, probe_z, spread_z)
plt.show()

# %% [markdown]
# The sentences start from h₀, which the ablation also moves, so the whole curve can shift.
# The cleaner measure is chapter {ref}`ch-strength-timing`'s **gain on the next word**
# g(0): the readout change caused by the valence probe right after the modifier, divided by
# the change it causes after a neutral filler (effects averaged over starting points along
# the attractor). g(0) < 0 is a flip, g(0) > 1 an amplification. `ns.projected_step` wraps
# the surgery into a cell function, so the same `context.gain_curve` measures the ablated
# network.

# %% mystnb={"figure": {"caption": "Gain g(0) of each modifier on the next valence word for the intact network (blue), with the modifier subspace removed (orange) and with random subspaces removed (grey, the mean over draws with the standard deviation as error bar); the dotted line is gain 1, the solid line gain 0.", "name": "fig-ch6-gains"}}
gain_words = ablation.words_with_probes(mod_words, model.vocab.tokens)  # + "not", "extremely"
x_val, x_fill = embedding[vocab_id(found.probes.valence)], embedding[vocab_id(found.probes.filler)]
starts = modifiers.gain_starts(found.h_refs, found.settings)  # g(0) measured as in chapter 4
steps = {"intact": F, "modifier subspace removed": ns.projected_step(F, points, basis)}
steps |= {f"random {i}": ns.projected_step(F, points, q) for i, q in enumerate(random_bases)}
gains, random_gains = ablation.gains_by_condition(
    steps, starts, w, [embedding[vocab_id(t)] for t in gain_words], x_val, x_fill, found.settings)
fig = plots.modifier_gain_bars(gain_words, gains, {"random subspace removed": random_gains.std(0)})
plt.show()

# %%
display(Markdown(ablation.gain_table(gain_words, gains, random_gains)))

# %% [markdown]
# What counts as "abolished" (*[ours]*): a negator flips when g(0) < 0; the flip is
# abolished when the ablated network gives g(0) ≥ 0, and the control keeps it when *every*
# random draw still gives g(0) < 0. For intensifiers the analogous measure is how much of
# the amplification g(0) − 1 is left.

# %%
flips = ablation.negation_flips(gain_words, gains, random_gains)
negators, flips_abolished, control_keeps = flips.negators, flips.abolished, flips.control_keeps
g_not = flips.g_not  # condition -> g(0) of "not"
print(f"negators (g(0) < 0): {negators}; flips abolished: {flips_abolished}; "
      f"control keeps them: {control_keeps}")
for name, value in ablation.negation_glue(flips).items():
    glue(name, value, display=False)

# %% [markdown]
# ### Accuracy on the test documents
#
# Now the whole test split, and the documents in it that contain at least one of the
# modifiers.

# %%
test = splits.test.data
with_mod = ns.documents_with(test.tokens, test.lengths, mod_ids)
y = test.labels == 1
args = (F, h0, w, b, embedding, test.tokens, test.lengths, points)
z_intact, z_ablated = ns.final_logits(*args), ns.final_logits(*args, basis)
z_random = [ns.final_logits(*args, q) for q in random_bases]
def accuracy(z: np.ndarray, mask: np.ndarray) -> float:  # noqa: E306
    return float(np.mean((z[mask] > 0) == y[mask]))
groups = {"all test documents": np.ones_like(y), "with a modifier": with_mod,
          "without": ~with_mod}

# %% mystnb={"figure": {"caption": "Test accuracy on all test documents, on those with a modifier and on those without, for the intact network (blue), with the modifier subspace removed (orange) and with random subspaces removed (grey, mean and standard deviation over draws); the dotted line is chance.", "name": "fig-ch6-ablation"}}
acc = ablation.accuracy_by_group(accuracy, z_intact, z_ablated, z_random, groups, ns.spread)
fig = plots.ablation_accuracy(list(acc), [a[0] for a in acc.values()],
                              [a[1] for a in acc.values()], [a[2].mean for a in acc.values()],
                              [a[2].std for a in acc.values()])
plt.show()

# %%
display(Markdown(ablation.accuracy_table(acc, groups)))

# %%
for name, value in ablation.accuracy_glue(acc, with_mod, n_random).items():
    glue(name, value, display=False)
# accuracy lost on the documents with a modifier, for the necessity verdict below
drop_ablated = acc["with a modifier"][0] - acc["with a modifier"][1]
drop_random = acc["with a modifier"][0] - acc["with a modifier"][2].mean

# %% [markdown]
# **Necessity, in numbers.** "not" has g(0) = {glue:text}`ch6_not_gain_intact:+.2f` in the
# intact network, {glue:text}`ch6_not_gain_ablated:+.2f` with the modifier subspace removed
# and {glue:text}`ch6_not_gain_random:+.2f` ± {glue:text}`ch6_not_gain_random_std:.2f` with a
# random subspace of the same dimension removed ({glue:text}`ch6_n_random` draws). On the test
# documents that contain a modifier, accuracy goes from {glue:text}`ch6_acc_mod_intact:.3f` to
# {glue:text}`ch6_acc_mod_ablated:.3f` (modifier subspace) and
# {glue:text}`ch6_acc_mod_random:.3f` ± {glue:text}`ch6_acc_mod_random_std:.3f` (random). P2
# reports that the ablation abolishes modifier handling; the verdict comes after a harder
# control, below.
#
# The {glue:text}`ch6_n_nomod` documents *without* any of the selected modifiers go from
# {glue:text}`ch6_acc_nomod_intact:.3f` to {glue:text}`ch6_acc_nomod_ablated:.3f` (random:
# {glue:text}`ch6_acc_nomod_random:.3f`): {glue:text}`ch6_nomod_reading:s`. The ablation also
# acts on them, in two ways: through the projection of h₀ (the beginning of every document is
# weighted by h₀'s excursion, see {ref}`ch-strength-timing`), and through tokens the rule did
# not select that also use the subspace (chapter 4's score has no hard boundary; on the
# synthetic corpus, the planted intensifiers and diminishers the selection may have missed,
# which can hurt or, where the network over-weights them, help). The random control is what
# tells that a change is specific to this subspace.
#
# ### A harder control: the most energetic subspace of ordinary words *[ours]*
#
# A random d-dimensional subspace of a {glue:text}`ch6_state_size`-dimensional state holds
# only about d/S of any vector's energy, so removing it can hardly fail. A control that can
# fail removes a subspace of the same dimension where ordinary words *do* push the state: the
# top d principal directions (off the line, uncentred, as in chapter {ref}`ch-modifiers`) of
# the deflections of the 200 most frequent scored tokens that are not selected modifiers,
# taken orthogonal to the modifier subspace (else it would partly *be* the modifier
# subspace). The table gives, for each removed subspace, the share of those ordinary words'
# deflection energy and of the modifiers' it holds, what is left of "not"'s g(0), and the
# accuracy on the documents with a modifier.

# %%
frequent = control.frequent_ordinary_words(found.words, found.counts, mod_words, n=200)
frequent_x = embedding[[vocab_id(t) for t in frequent]]
energetic = control.control_basis(F, found.h_refs, frequent_x, attractor.direction, basis)
deflected = {"ordinary": context.deflections(F, found.h_refs, frequent_x, attractor.direction),
             "modifiers": found.subspace.deflections}
energy = control.energy_shares(deflected, {"modifier": basis, "random": random_bases,
                                           "control": energetic})
x_not = embedding[vocab_id("not")] if "not" in model.vocab.tokens else None
g_energetic = control.gain_or_nan(ns.projected_step(F, points, energetic), x_not, starts, w,
                                  x_val, x_fill, found.settings)
acc_energetic = accuracy(ns.final_logits(*args, energetic), with_mod)

# %%
display(Markdown(task_plots.markdown_table(control.CONTROL_HEADER, control.control_table_rows(
    energy, g_not, acc["with a modifier"], g_energetic, acc_energetic))))

# %% [markdown]
# The necessity verdict weighs the ablation against both controls:

# %%
for name, value in control.control_glue(int(w.size), energy, g_energetic, acc_energetic,
                                        g_not["intact"]).items():
    glue(name, value, display=False)
drop_control = acc["with a modifier"][0] - acc_energetic
necessity_verdict = control.necessity_verdict(
    flips_abolished=flips_abolished, control_keeps=control_keeps, g_not_intact=g_not["intact"],
    g_energetic=g_energetic, drop_ablated=drop_ablated, drop_random=drop_random,
    drop_control=drop_control)
glue("ch6_necessity_verdict", necessity_verdict, display=False)

# %% [markdown]
# The frequent-word subspace holds {glue:text}`ch6_energy_control_ordinary:.3f` of the
# ordinary words' deflection energy (the modifier subspace
# {glue:text}`ch6_energy_modifier_ordinary:.3f`, a random one
# {glue:text}`ch6_energy_random_ordinary:.3f`) and {glue:text}`ch6_energy_control_modifiers:.3f`
# of the modifiers' (modifier subspace {glue:text}`ch6_energy_modifier_modifiers:.3f`).
# Removing it leaves "not" at g(0) = {glue:text}`ch6_not_gain_control:+.2f`:
# {glue:text}`ch6_control_reading:s`.
#
# **Necessity verdict.** Reproduced when removing the modifier subspace abolishes every
# negator's flip while every random draw and the energetic control keep it, and costs the
# documents with a modifier more than three times the random subspace's accuracy loss and
# more than twice the energetic control's (partly: the flips go, or the loss exceeds both
# controls'). From the numbers above: **{glue:text}`ch6_necessity_verdict:s`**.

# %% [markdown]
# ## Sufficiency: the augmented bag-of-words family
#
# The family (M9, *[ours, in P2's spirit]*) scores a document of T tokens as
#
# $$ \mathrm{logit} = b + \sum_{t=0}^{T-1} p(t, T)\, m_t\, v(x_t), \qquad
#    m_t = \prod_{j<t,\ x_j \in \mathcal{M}} \Big(1 + (\alpha_{x_j} - 1)\,
#          e^{-(t-j-1)/\tau_{x_j}}\Big), $$
#
# $$ p(t, T) = 1 + \beta_b e^{-t/\tau_b} + \beta_e e^{-(T-1-t)/\tau_e}, $$
#
# with a learned valence v per token, and a learned gain α and timescale τ for each token
# of the modifier set 𝓜, here **chapter 4's discovered modifiers** (never the planted ones).
# Four members: plain bag-of-words (m = p = 1), + position, + modifiers, + both.
# The family is **nested over the book's bag-of-words baseline** (chapter {ref}`ch-task`: word
# counts on whole documents, C chosen on validation): the plain member *is* that baseline, and
# every other member starts from it (its valences and bias, α = 1, β = 0), is trained with
# Adam on the training split under the same penalty on the valences (1,500 steps of 256
# documents; the product over modifiers looks back 10 tokens, which leaves at most
# |α − 1|·e⁻³ of a τ = 3 modifier out), and keeps the step that is best on the validation
# split, step 0 included. So adding modifiers or position can never lose to bag-of-words on
# validation; on the test split, where the RNN's gain is measured, it can. Like the baseline,
# the family reads whole documents.

# %%
sufficiency = ns.SufficiencySettings(fit_steps=400 if cfg.fast else 1500,
                                     scan_steps=300 if cfg.fast else 500)
whole = experiment.encoded_splits(cfg, model.vocab, whole_documents=True)
train, valid_docs, test_docs = whole.train.data, whole.valid.data, whole.test.data
family = report.nested_family(model, train, valid_docs, test_docs, sufficiency)  # shared by all
baseline, valid_set, l2 = family.baseline, family.valid, family.l2  # as the exercises use them
fits = family.fit(mod_ids)
correct = {v: family.test_correct(f) for v, f in fits.items()}
correct["rnn"] = ns.rnn_correct(model, test.tokens, test.lengths, test.labels)
print(report.fit_summary(correct, fits))
assert abs(correct["bow"].mean() - model.bow_metrics["test_accuracy"]) < 1e-9  # one baseline

# %% [markdown]
# ### How many modifiers? k chosen on validation *[ours]*
#
# Chapter 4's cut decides from the scores alone, and on real text it can keep very few words
# (on SST-2 a few, led by "but": see "On real reviews" below). A second way to choose the set uses
# held-out labels, never the test split's: walk down chapter 4's ranking and treat its top k
# tokens as modifiers, for k = 1, 2, 4, …, 32, each fitted with the baseline's valences held
# fixed (so only each token's α and τ are learned), and keep the smallest k whose validation
# accuracy is within one standard error of the best (the one-standard-error rule: larger sets
# keep gaining a little on validation by fitting more parameters). The "+ both" member is then
# refitted with those k tokens.

# %%
ranked_ids = [vocab_id(w) for w, s in found.top(max(sufficiency.k_grid)) if s > 0]
scan = ns.scan_modifier_count(ranked_ids, (train.tokens, train.lengths, train.labels),
                              valid_set, len(model.vocab), baseline,
                              settings=sufficiency, l2=l2)
display(Markdown(task_plots.markdown_table(report.SCAN_HEADER, report.scan_rows(scan))))
scan_words = [model.vocab.tokens[i] for i in ranked_ids[:scan.k]]
print(f"chosen k = {scan.k}: {', '.join(scan_words) or '— (no k beats bag-of-words)'}")
if scan.k:
    correct["scan"] = family.test_correct(family.fit(ranked_ids[:scan.k], ("both",))["both"])
glue("ch6_scan_k", int(scan.k), display=False)
glue("ch6_scan_words", ", ".join(scan_words) or "—", display=False)

# %% [markdown]
# On the synthetic corpus the planted rule *is* the "+ both" model with the planted
# modifiers, so we also fit it with the planted modifier set (an oracle, for diagnosis only:
# it tells apart a modifier the discovery missed from a limitation of the model's form;
# skipped in the fast test configuration).

# %%
rule_accuracy = model.metrics.get("rule_test_accuracy", float("nan"))
if truth is not None and not cfg.fast:
    planted_ids = [vocab_id(t) for t in truth.modifiers if t in model.vocab.tokens]
    oracle = ns.fit_family(train.tokens, train.lengths, train.labels, len(model.vocab),
                           planted_ids, variants=("both",), settings=sufficiency, baseline=baseline,
                           valid=(valid_docs.tokens, valid_docs.lengths, valid_docs.labels),
                           l2=ns.baseline_l2(model.bow_metrics["C"], train.n_docs))["both"]
    correct["oracle"] = ab.predict_correct(oracle.params, oracle.model, test_docs.tokens,
                                           test_docs.lengths, test_docs.labels)

# %% [markdown]
# Two more members, both outside P2's family and labelled as such:
#
# - **+ backward** *[ours]*: "+ both" with, for each discovered modifier, a factor γ on every
#   word *before* it (γ < 1 discounts what came before, as a contrastive "X but Y" might;
#   `augmented_bow` documents the form). It starts at γ = 1, where it is "+ both", so it is
#   nested like the others. Motivated by the residuals below.
# - **English modifier list (diagnosis)**, on real corpora only: "+ both" with the 27 words of a
#   fixed list of English negators, intensifiers, contrastives and diminishers as modifiers
#   (`real_summaries.CHECK_LIST`) instead of the discovered ones. Like the planted oracle on
#   the synthetic corpus, it uses knowledge the method does not have, and only tells apart a
#   shortfall of the discovery (the list does better) from one of the family's form (it does
#   not).

# %%
backward_fit = family.fit(mod_ids, ("backward",))["backward"]
correct["backward"] = family.test_correct(backward_fit)
gammas = ab.learned_backward(backward_fit.params, backward_fit.model)
print("learned backward factors γ:", ", ".join(f"{w} {g:.2f}" for w, g in zip(mod_words, gammas,
                                                                             strict=True)))
glue("ch6_backward_gammas", report.gamma_glue(mod_words, gammas), display=False)
english_words = [t for t in real_summaries.CHECK_LIST if t in model.vocab.tokens]
if truth is None and not cfg.fast and english_words:
    english = family.fit([vocab_id(t) for t in english_words], ("both",))["both"]
    correct["english"] = family.test_correct(english)

# %% mystnb={"figure": {"caption": "Test accuracy of each member of the augmented bag-of-words family (bars, the value written at the end), with the RNN (orange line), the bag-of-words baseline (dashed grey) and, on the synthetic corpus, the planted rule (dotted black).", "name": "fig-ch6-family"}}
labels = report.member_labels(scan.k)  # member -> its name on the page
recovered = report.recovered_fractions(correct, labels, n_boot=1000 if cfg.fast else 2000)
fig = plots.family_accuracy([labels[v] for v in labels if v in correct],
                            [float(correct[v].mean()) for v in labels if v in correct],
                            float(correct["rnn"].mean()), float(correct["bow"].mean()),
                            rule_accuracy if truth is not None else None)
plt.show()

# %%
display(Markdown(report.family_table(labels, correct, recovered, cfg.cell.upper(),
                                     rule_accuracy if truth is not None else None)))

# %%
for name, value in report.recovered_glue(recovered, correct, int(y.size)).items():
    glue(name, value, display=False)
glue("ch6_scan_text", report.scan_text(scan.k, recovered, correct), display=False)
glue("ch6_extra_members_text", report.extra_members_text(recovered, correct), display=False)
best = recovered["both"]
rnn_gain = ns.rnn_gain_interval(correct["rnn"], correct["bow"])
for suffix, value in (("", rnn_gain.estimate), ("_low", rnn_gain.low), ("_high", rnn_gain.high)):
    glue(f"ch6_rnn_gain{suffix}", value, display=False)
sufficiency_verdict = ns.sufficiency_verdict(best, rnn_gain)
glue("ch6_sufficiency_verdict", sufficiency_verdict, display=False)
glue("ch6_below_90", "below" if best.estimate < 0.9 else "above", display=False)

# %% [markdown]
# **Sufficiency, in numbers.** On {glue:text}`ch6_n_test` test documents, plain bag-of-words
# reaches {glue:text}`ch6_acc_bow:.3f`, the RNN {glue:text}`ch6_acc_rnn:.3f`, and the full
# augmented model {glue:text}`ch6_acc_both:.3f`: it recovers
# {glue:text}`ch6_recovered_both:.2f` (95% paired-bootstrap interval
# {glue:text}`ch6_recovered_both_low:.2f`–{glue:text}`ch6_recovered_both_high:.2f`) of the
# RNN's gain, {glue:text}`ch6_below_90:s` P2's 90%. Modifiers alone recover
# {glue:text}`ch6_recovered_modifiers:.2f`, position alone {glue:text}`ch6_recovered_position:.2f`.
# Verdict: **{glue:text}`ch6_sufficiency_verdict:s`**. {glue:text}`ch6_scan_text:s`
# {glue:text}`ch6_extra_members_text:s`
#
# The recovered fraction can exceed 1: the augmented model may beat the RNN (on the synthetic
# corpus it has the exact form of the planted rule).

# %% [markdown]
# ### What is missing: residuals per modifier
#
# Where does the full augmented model lose to the RNN (or win)? The accuracy gap on the test
# documents that contain each modifier, and on those that contain none:

# %% mystnb={"figure": {"caption": "Accuracy gap between the RNN and the augmented model with modifiers and position on the test documents that contain each modifier, purple where the RNN does better and green where the model does, with the number of such documents at each bar.", "name": "fig-ch6-residuals"}}
res = ns.residuals_by_token(correct["rnn"], correct["both"], test.tokens, test.lengths,
                            mod_ids, mod_words)
fig = plots.residual_bars([r.token for r in res], [r.gap for r in res],
                          [r.n_docs for r in res])
plt.show()

# %%
rows = ["| documents with | n | RNN | + both | gap |", "| --- | --- | --- | --- | --- |"]
rows += [f"| {r.token} | {r.n_docs} | {r.accuracy_rnn:.3f} | {r.accuracy_model:.3f} | "
         f"{r.gap:+.3f} |" for r in res]
display(Markdown("\n".join(rows)))

# %% [markdown]
# Which kinds of documents carry the RNN's gain over bag-of-words, and which of them the
# augmented members still miss? Documents grouped by the words of the English modifier list
# they contain (a check, as in chapter 4: the list is not an input of any member except the
# diagnosis one). A document with a negator and a "but" counts in both rows.

# %%
groups = {name: [vocab_id(t) for t in words if t in model.vocab.tokens]
          for name, words in real_summaries.CHECK_GROUPS.items()}
shown = [v for v in ("rnn", "bow", "both", "backward", "english") if v in correct]
by_group = ns.residuals_by_group({v: correct[v] for v in shown}, test.tokens, test.lengths,
                                 groups)
names = {"rnn": "RNN", "bow": "BoW", **{v: labels[v] for v in shown if v in labels}}
display(Markdown(task_plots.markdown_table(
    ["documents with", "n", *(names[v] for v in shown), "RNN − BoW (documents)"],
    report.group_table_rows(by_group, shown))))
glue("ch6_residual_groups", report.group_glue(by_group, shown), display=False)
glue("ch6_residual_models", shown, display=False)

# %% [markdown]
# ### Residuals by construction *[ours]*
#
# A modifier of P2's family rescales the next few words. Two constructions ask for more: an
# **"X but Y"** whose clauses disagree (the baseline's word weights summed before and after the
# last "but" have opposite signs; a reader follows Y, a sum adds both), and a **negation whose
# scope is long** (the next strongly valenced word, |w| in the baseline's top 10%, comes more
# than 3 tokens after the negator, or never). The split uses the tokens and the baseline's
# weights only, never a label or a model's output (`constructions`); a document can sit in a
# "but" row and a negator row.
#
# On the synthetic corpus both constructions are *planted* in the family's own form (the planted
# "but" amplifies the words after it, the planted negators flip them), so "+ both" closes these
# rows by construction. Whether it does on natural text is what "On real reviews" below shows.

# %%
but_ids = [vocab_id("but")] if "but" in model.vocab.tokens else []
masks = constructions.construction_masks(test.tokens, test.lengths, baseline[0],
                                         contrast_ids=but_ids, negator_ids=groups["negators"])
by_construction = ns.residuals_by_mask({v: correct[v] for v in shown}, masks)
display(Markdown(task_plots.markdown_table(
    ["construction", "n", *(names[v] for v in shown), "RNN − BoW (documents)"],
    report.group_table_rows(by_construction, shown))))

# %%
follows, n_disagree = constructions.label_follows_after(test.tokens, test.lengths, test.labels,
                                                        but_ids, baseline[0])
construction_rows = report.group_glue(by_construction, shown)
glue("ch6_construction_rows", construction_rows, display=False)
glue("ch6_but_follows_after", follows, display=False)
glue("ch6_but_disagree", n_disagree, display=False)
display(Markdown(real_summaries.construction_reading(
    "This corpus", construction_rows, shown, follows, n_disagree)))

# %% [markdown]
# ### Learned gains and timescales against the network's
#
# The "+ both" model learns a gain α (on the next token) and a timescale τ per modifier. The
# RNN's own values come from chapter {ref}`ch-strength-timing`'s measurements
# (`modifiers.timing_analysis`): α = g(0), the gain on the next valence word, and τ the
# exponential timescale of |g(k) − 1| over the first tokens after the modifier.

# %%
learned = ab.learned_modifiers(fits["both"].params, fits["both"].model)
timing_words = tuple(ablation.words_with_probes(mod_words, model.vocab.tokens))
timing = modifiers.timing_analysis(model, attractor, found, words=timing_words)
alphas, taus = compare.gains_and_timescales(mod_words, learned, timing, timing_words, truth)

# %% mystnb={"figure": {"caption": "Gain α of each modifier as learned by the augmented bag-of-words with modifiers and position (blue circles), as measured in the RNN in chapter 5 (orange squares) and, on the synthetic corpus, as planted (black diamonds).", "name": "fig-ch6-alpha"}}
fig = plots.parameter_comparison(mod_words, alphas, quantity="gain α")
plt.show()

# %% mystnb={"figure": {"caption": "Timescale τ of each modifier in tokens, as learned by the augmented bag-of-words with modifiers and position (blue circles), as measured in the RNN in chapter 5 (orange squares) and, on the synthetic corpus, as planted (black diamonds).", "name": "fig-ch6-tau"}}
fig = plots.parameter_comparison(mod_words, taus, quantity="timescale τ (tokens)")
plt.show()

# %%
display(Markdown(compare.parameter_table(mod_words, alphas, taus)))

# %%
pos = ab.learned_position(fits["both"].params, fits["both"].model)
print(f"learned position weights: beta_begin {pos.beta_begin:+.2f} (tau {pos.tau_begin:.1f}),"
      f" beta_end {pos.beta_end:+.2f} (tau {pos.tau_end:.1f})")
if truth is not None:
    print(f"planted: {truth.position}")
corr = compare.alpha_correlation(alphas)
glue("ch6_alpha_correlation", corr, display=False)

# %% [markdown]
# The learned gains and the RNN's measured ones correlate with r =
# {glue:text}`ch6_alpha_correlation:.2f` across the discovered modifiers. The two need not be
# equal: the network's g(0) is measured with one probe word from points on the attractor,
# while the bag-of-words gain is whatever best predicts the labels given everything else the
# model cannot represent.
#
# Read the learned τ with care where |α − 1| is small, as for mild intensifiers and
# diminishers: the factor 1 + (α − 1)·exp(−(t − j − 1)/τ) then differs from 1 by little at
# any lag, so τ barely changes the loss and the fit can leave it almost anywhere (it is not
# identified). A negator's τ (α far from 1) is pinned down by the data; an intensifier with
# α = 1.2 says little about its timescale.

# %% [markdown]
# ## Verdicts for the results page
#
# The book's {doc}`results page <../book/results>` lists every headline claim of P1 and P2
# with a verdict. Where the deciding quantity is available here, from the same objects and
# the same package functions chapters 3–5 use, the verdict is computed in this cell from a
# stated rule (*[ours]*: the papers give no tolerances), and glued.

# %%
checks = claims.measure_checks(correct, cloud, attractor, F, embedding.shape[1],
                               float(np.mean(test.lengths)), model, found, timing, timing_words)
found_ok, found_partly = claims.modifiers_found(found, truth)
verdicts = claims.claim_verdicts(
    checks, n_modifiers=len(found.modifiers), found_ok=found_ok, found_partly=found_partly,
    subspace_dim=found.subspace.dim, necessity=necessity_verdict, sufficiency=sufficiency_verdict)

# %% [markdown]
# Each verdict, whether its claim is planted in the synthetic corpus or discovered (see the
# results page), and the deciding quantities, glued:

# %%
for name, value in {**{f"ch6_verdict_{k}": v for k, v in verdicts.items()},
                    **claims.planted_glue(truth is not None), **claims.check_glue(checks)}.items():
    glue(name, value, display=False)
display(Markdown(claims.verdict_table(verdicts)))
glue("ch6_seconds", time.perf_counter() - start, display=False)

# %% [markdown]
# The rules: RNN accuracy at least that of bag-of-words (partly: within 2 points); top three
# PCs ≥ 85% of the state variance (partly ≥ 60%); slow points ≥ 90% on one line (partly
# ≥ 70%); median τ₁ = −1/ln|λ₁| over the slow points ≥ 100 tokens with |λ₁| within 0.05 of 1
# at ≥ 90% of them (partly: τ₁ at least the mean document length, and ≥ 50%); modifiers: on the
# synthetic corpus precision and recall ≥ 0.8 against the planted set (partly: recall > 0),
# otherwise "not" and an intensifier among the selected; subspace dimension ≤ 3 (partly ≤ 6);
# cosine between the negator and intensifier deflections < 0.5 (partly < 0.9); τ of "not"
# above τ of "extremely" with the 95% bootstrap interval of the difference above 0 (partly:
# above, the interval reaching 0; chapter {ref}`ch-strength-timing`); h₀ at least half in the modifier
# subspace and a beginning weight above 1 (partly: one of the two); beginning weight (chapter
# 5: the first word against the same word after 30 fillers, 10 fillers after both) > 1.1
# (partly > 1); last-word weight (against the same word 10 tokens before the end) differing
# from 1 by > 0.1 (partly > 0.03); necessity as stated in its section.

# %% [markdown]
# ## On real reviews
#
# On the synthetic corpus sufficiency is *planted*: the augmented bag-of-words has the form of
# the rule that made the labels. Necessity is not (nothing in the rule says where a network
# keeps its modifier memory). On real reviews neither is planted. The same tests were run on
# SST-2 and IMDB by `benchmarks/real_corpus_summary.py` (recorded numbers, not computed in this
# build; see {ref}`real-reviews`). Sufficiency is a share of the RNN's gain over bag-of-words,
# so where that gain is not above 0 (its paired-bootstrap interval includes 0) the share is
# not measurable, and the page says so instead of printing a ratio of noise.

# %%
real = real_summaries.load()
display(Markdown(real_summaries.section("ch6", real)))

# %% mystnb={"figure": {"caption": "Chapter 6 on the real corpora, one panel per corpus: test accuracy of bag-of-words (grey), of its augmented members with modifiers, with position, with both and with the top k tokens of the ranking (blue), and of the RNN (orange).", "name": "fig-ch6-real"}}
if real:
    real_plots.necessity_sufficiency(real)
    plt.show()

# %%
if real:
    for summary in real:
        display(Markdown(f"**{summary.name}**: test documents by the modifier words they "
                         "contain"))
        display(Markdown(real_summaries.residual_table(summary)))
        display(Markdown(f"**{summary.name}**: test documents by construction"))
        display(Markdown(real_summaries.residual_table(summary, "ch6_construction_rows",
                                                                "construction")))
        display(Markdown(real_summaries.construction_summary_reading(summary)))

# %% [markdown]
# ## Paper vs this book
#
# | claim | P2 | this book |
# | --- | --- | --- |
# | ablating the modifier subspace abolishes negation ("not" g(0)) | abolished | {glue:text}`ch6_not_gain_intact:+.2f` → {glue:text}`ch6_not_gain_ablated:+.2f` (random: {glue:text}`ch6_not_gain_random:+.2f` ± {glue:text}`ch6_not_gain_random_std:.2f`) |
# | accuracy on documents with modifiers, ablated vs random control | falls (no number given) | {glue:text}`ch6_acc_mod_intact:.3f` → {glue:text}`ch6_acc_mod_ablated:.3f` vs {glue:text}`ch6_acc_mod_random:.3f` |
# | necessity verdict | — | {glue:text}`ch6_necessity_verdict:s` |
# | recovered fraction of the RNN's gain over BoW | > 0.9 | {glue:text}`ch6_recovered_both:.2f` [{glue:text}`ch6_recovered_both_low:.2f`, {glue:text}`ch6_recovered_both_high:.2f`] |
# | sufficiency verdict | — | {glue:text}`ch6_sufficiency_verdict:s` |
#
# The whole chapter took {glue:text}`ch6_seconds:.0f` s here.

# %% [markdown]
# ## Exercises
#
# :::{exercise}
# :label: ch6-ex-dimension
# The ablation removes the d-dimensional modifier subspace. Remove only its first component
# (`basis[:, :1]`) and then the first three. How does the gain g(0) of "not" change with the
# number of components removed, and how does the random control change?
# :::
#
# :::{solution} ch6-ex-dimension
# :class: dropdown
# Rerun the gain cell with `steps = {"intact": F, "k": ns.projected_step(F, points,
# basis[:, :k])}` for k = 1, 2, 3, and `context.random_subspace(seed, w.size, k,
# exclude=attractor.direction)` for the control. Look for the k at which g(0) of the negators
# crosses zero; a random subspace of any small k should leave g(0) near its intact value.
# :::
#
# :::{exercise}
# :label: ch6-ex-window
# The augmented model's modifier effect decays as exp(−(t−j−1)/τ) over the tokens after the
# modifier. Restrict it to the next token only: `window=1` makes the product look back one
# token, so a modifier multiplies the very next word by α and nothing after it (τ no longer
# matters). How much of the recovered fraction is left? What does that say about the
# timescales of chapter {ref}`ch-strength-timing`?
# :::
#
# ```{solution-start} ch6-ex-window
# :class: dropdown
# ```
#
# The "+ both" member refitted exactly as above (nested over the baseline, same steps,
# penalty and validation), with `window=1`:

# %%
one_token = ns.fit_family(train.tokens, train.lengths, train.labels, len(model.vocab), mod_ids,
                          variants=("both",), settings=dataclasses.replace(sufficiency, window=1),
                          baseline=baseline,
                          valid=valid_set, l2=l2)["both"]
correct_one = ab.predict_correct(one_token.params, one_token.model, test_docs.tokens,
                                 test_docs.lengths, test_docs.labels)
for name, c in (("next token only (window = 1)", correct_one),
                ("10 tokens (window = 10, the chapter's)", correct["both"])):
    r = context.bootstrap_recovered_fraction(c, correct["bow"], correct["rnn"],
                                             n_boot=1000 if cfg.fast else 2000)
    print(f"{name}: test accuracy {c.mean():.3f}, recovered {r.estimate:.2f} "
          f"[{r.low:.2f}, {r.high:.2f}]")

# %% [markdown]
# Where the one-token member recovers clearly less, the modifiers' effect on the words two or
# more tokens later carries part of the RNN's gain: the timescales of chapter
# {ref}`ch-strength-timing` matter for the labels, not only for the dynamics. (On the
# synthetic corpus the planted negators act over 2–3 tokens, so a drop is expected there.)
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: ch6-ex-oracle
# On the synthetic corpus, compare the "+ both" model fitted with the discovered modifiers
# to the oracle fitted with the planted ones. Which planted modifiers did chapter 4 miss, and
# how many test documents contain them?
# :::
#
# ```{solution-start} ch6-ex-oracle
# :class: dropdown
# ```

# %%
if truth is not None:
    missed = [t for t in truth.modifiers if t not in mod_words and t in model.vocab.tokens]
    with_missed = ns.documents_with(test.tokens, test.lengths, [vocab_id(t) for t in missed])
    print(f"missed by chapter 4: {', '.join(missed) or 'none'}; test documents containing "
          f"them: {int(with_missed.sum())} of {with_missed.size}")
    if "oracle" in correct and with_missed.any():
        print(f"oracle {correct['oracle'].mean():.3f} vs + both {correct['both'].mean():.3f}; "
              f"on the documents with a missed modifier: oracle "
              f"{correct['oracle'][with_missed].mean():.3f}, + both "
              f"{correct['both'][with_missed].mean():.3f}")
else:
    print("a real corpus has no planted modifiers: see the English-list diagnosis above")

# %% [markdown]
# The accuracy difference between the oracle and "+ both", concentrated on the documents with
# a missed modifier, is the cost of what the discovery missed; `ns.residuals_by_token` with
# the planted ids shows it per token.
#
# ```{solution-end}
# ```

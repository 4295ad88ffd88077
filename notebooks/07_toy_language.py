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
# (toy-language)=
# # Appendix: P2's toy language
#
# **Learning goals.** After this chapter you can
#
# - state P2's toy language and its exact target rule, including how overlapping modifiers
#   combine;
# - train the authors' regression GRU and check it against their published numbers;
# - read an eigen-spectrum as a list of mechanisms: an integrator (λ ≈ 1), a rotating pair
#   excited by "not", a fast mode excited by "very";
# - test a mechanism by deleting it: cut one eigenmode out of a modifier's kick and measure
#   how much of the modifier's effect is left.
#
# **What P2 claims (§4 and supplementary material).** A GRU trained to output the running
# sentiment of a 12-symbol language integrates valence along a line of fixed points. At the
# fixed point where the probe sentences start, the recurrent Jacobian has an eigenvalue
# λ ≈ 1 (the integrator), a complex-conjugate pair that "not" excites, and a mode with
# λ ≈ 0 that "very" excites. The linear prediction wᵀ J_inp(h_ctx) x of each valence word's
# effect matches the network for all 16 probes, and removing the complex pair (or the
# λ ≈ 0 mode) from the modifier's deflection abolishes "not" (or "very"). It is the one part
# of P2 with a fully published recipe and numbers, so it is the sharpest check of this book's
# training and dynamics code (chapters {doc}`03_line_attractor` and
# {doc}`04_modifier_identification` use the same tools on the review corpus).

# %%
import time

import numpy as np
from IPython.display import Markdown
from myst_nb import glue

from rnnctx_utils import toy
from rnnctx_utils.analysis import pca
from rnnctx_utils.config import config
from rnnctx_utils.plots import toy as toy_plots

cfg = config()  # RNNCTX_FAST=1 selects the seconds-long schedule used by the tests
settings = toy.book_settings(fast=cfg.fast)
print("Built on: P2's 12-symbol toy language (the same for every RNNCTX_CORPUS).")
print(settings)

# %% [markdown]
# ## The language
#
# The objects in play:
#
# - a **sequence** of T = 50 tokens drawn uniformly from 12 symbols, fed one-hot
#   (x_t ∈ ℝ¹²);
# - the **valence** of each symbol: `good` +1, `bad` −1, `awesome` +2, `awful` −2, the six
#   noise words `and a the for it while` and the two modifiers 0;
# - the **contribution** of token t: its valence times −1 if a `not` is among the 4 previous
#   tokens, times 2 if the previous token is `very`;
# - the **target** y_t = the running sum of contributions up to t, to be output after every
#   token.
#
# P2 states the two windows; how they overlap is fixed by the authors' counters, which a
# new modifier resets. Written as windows: a second `not` restarts the window of four (it
# does not cancel the first), and `very` acts on the next token only, even if that token is
# `not`. A few hand-made sentences:

# %%
for sentence in ["not good", "very awesome", "not the the the good", "not the the the the good",
                 "very the good", "not not good", "not very good", "very not good"]:
    print(f"{sentence:26s} contributions {toy.contributions(toy.encode(sentence))}")

# %% [markdown]
# The training set is 100,000 such sequences. Generation and targets are vectorised (the
# `not` window is four shifted ORs of a boolean mask), so the whole set takes a fraction of
# a second:

# %%
start = time.perf_counter()
train_tokens = toy.generate_tokens(100_000, 50, seed=0)
train_targets = toy.targets(train_tokens)
generation_seconds = time.perf_counter() - start
frequencies = np.bincount(train_tokens.ravel()) / train_tokens.size
print(f"{train_tokens.shape} tokens and targets in {generation_seconds:.2f} s; "
      f"symbol frequencies {frequencies.min():.4f}–{frequencies.max():.4f} (1/12 = 0.0833)")
print(f"mean squared target (the MSE of always answering 0): {np.mean(train_targets**2):.1f}")
glue("toy_generation_seconds", float(generation_seconds), display=False)
glue("toy_target_power", float(np.mean(train_targets**2)), display=False)

# %% [markdown]
# ## The network and its training
#
# A GRU with 100 units reads the one-hot tokens (`rnnctx_utils.cells`, convention
# h' = u ⊙ h + (1 − u) ⊙ c with c = tanh(A x + W (r ⊙ h) + b)), starting from a trainable
# h₀; the update gate's bias starts at +0.5 ("remember"); a linear readout
# ŷ_t = w·h_t + b is compared to y_t after every token. Training adds Gaussian noise
# (σ = 0.003) to the state after every step, uses Adam (ε = 0.1, global-norm clipping at 10,
# batch 128, L2 1e-4) and the learning rate 0.04 · 0.99995^step.
#
# **The schedule.** The authors train 40,000 steps. One step of the book's model took
# {glue:text}`toy_ms_per_step:.0f` ms when it was trained (printed below), so their schedule
# would take about {glue:text}`toy_full_minutes:.0f` minutes on the same machine, longer than
# the rest of the book takes to build. The book trains `toy.BOOK_STEPS` = 2,000 steps instead, with the *same*
# first and last learning rate: the decay per step is raised to 0.99995^(40000/2000) so
# that the learning rate still falls by the factor 0.135. `toy.AUTHORS_SETTINGS` is the full
# recipe. It is run once, outside the build, by `benchmarks/toy_full_schedule.py`, which
# applies this chapter's own analysis (`toy.analyse`, below) to the 40,000-step model and
# writes the numbers to `book/data/toy_full_schedule.json`; the chapter reads that file, so
# the table at the end has three columns: P2, the book's 2,000 steps, the full schedule.
# {glue:md}`toy_full_schedule_text`
#
# The book's model is cached, keyed by every setting and the package source, so the
# chapter trains once.

# %%
def report(step: int, mse: float) -> None:
    if step % 500 == 0:
        print(f"step {step:6d}  training MSE {mse:.4f}")


model = toy.trained_toy_model(settings, progress=report)
params, h0 = model.params, np.asarray(model.params["h0"])
print(f"{settings.n_steps} steps in {model.train_seconds:.0f} s "
      f"({1000 * model.train_seconds / settings.n_steps:.0f} ms per step, when it was trained)")
glue("toy_n_steps", settings.n_steps, display=False)
glue("toy_train_seconds", float(model.train_seconds), display=False)
ms_per_step = 1000 * model.train_seconds / settings.n_steps
glue("toy_ms_per_step", ms_per_step, display=False)
glue("toy_full_minutes", ms_per_step * 40_000 / 60_000, display=False)

# %%
full = toy.load_full_schedule()  # None when benchmarks/toy_full_schedule.py has not been run
summary = toy.full_schedule_summary(full)  # its paragraph, provenance and table column
glue("toy_full_schedule_text", Markdown(summary.text), display=False)
glue("toy_full_provenance", summary.provenance, display=False)
for row, text in summary.cells.items():
    glue(f"toy_full_col_{row}", text, display=False)

# %% mystnb={"figure": {"caption": "Training MSE of the toy network (with state noise, on the training batches) against the optimisation step for this book's run (blue) and, when it is recorded, the full schedule run once (grey), on log axes; the dashed orange line is P2's evaluation MSE.", "name": "fig-ch7-training"}}
fig = toy_plots.training_curve(model.history, authors_mse=0.006,
                               full_history=None if full is None else full["history"])

# %% [markdown]
# The figure shows the training loss on noisy batches. What P2 reports is the error of the
# noiseless network on fresh sequences. That, and every number in the rest of the chapter,
# comes from one function, `toy.analyse` (evaluation MSE, fixed points, the spectrum at the
# context fixed point, the modifier kicks, the 16 probes, the mode ablations, in the order
# of the sections below), and `toy.headline_numbers` turns its result into the numbers the
# text quotes. `benchmarks/toy_full_schedule.py` calls the same two functions on the
# 40,000-step model, so the columns of the final table are computed identically.

# %%
analysis = toy.analyse(params, seq_len=settings.seq_len)
numbers = toy.headline_numbers(analysis)
for key, value in numbers.items():
    if isinstance(value, int | float | str):  # scalars; the lists stay in `numbers`
        glue(f"toy_{key}", value, display=False)
for row, text in toy.table_cells(numbers).items():
    glue(f"toy_col_{row}", text, display=False)
print(f"evaluation MSE on {toy.N_EVAL_SEQUENCES:,} fresh sequences: "
      f"{analysis.evaluation_mse:.4f}")

# %% [markdown]
# P2 reports an evaluation MSE of about 0.006 after 40,000 steps; we measure
# {glue:text}`toy_eval_mse:.4f` after {glue:text}`toy_n_steps` steps (the full schedule:
# {glue:text}`toy_full_col_eval_mse`). Always answering 0 would give
# {glue:text}`toy_target_power:.0f`.
#
# ## Fixed points on a line
#
# A fixed point of the dynamics at a constant input x* satisfies h* = F(h*, x*). Following
# the authors, we take x* = 0, start Adam descent on q(h) = ½‖h − F(h, 0)‖² from 1,000
# states visited on random sequences, stop each point when q < 2·10⁻⁶, and keep the
# converged points that are not within 10⁻³ of one another (`rnnctx_utils.fixed_points`).
# With one-hot inputs, x = 0 is an input the network never sees; the input it sees between
# sentiment words is a noise word. So we repeat the search at x̄, the mean of the six noise
# words' one-hot vectors [ours].

# %%
# analysis.fixed = toy.toy_fixed_points(params, n_seeds=1_000);
# analysis.fixed_noise = toy.toy_fixed_points(params, n_seeds=500, x_star=toy.NOISE_INPUT)
fixed, fixed_noise = analysis.fixed, analysis.fixed_noise
for name, found in (("x* = 0", fixed), ("x* = x̄ (noise)", fixed_noise)):
    print(f"{name:16s} {found.n_below_tolerance:4d} of {found.n_seeds} seeds reached "
          f"q < {found.tolerance:g}; {len(found.points):3d} unique; readouts "
          f"{found.readouts.min():+.1f} … {found.readouts.max():+.1f}; "
          f"{100 * pca(found.points).cumulative(1):.0f}% of variance on one direction")

# %% mystnb={"figure": {"caption": "Readouts w·h + b of the fixed points found with input x* = 0 and with the mean noise-word input x̄ (top, one row of ticks each) above the histogram of the readouts of visited states on random sequences (bottom).", "name": "fig-ch7-fixed-points"}}
visited_readouts = analysis.visited_readouts  # readouts of 10,000 states on random sequences
fig = toy_plots.fixed_point_readouts(
    {"x* = 0": fixed.readouts, "x* = x̄": fixed_noise.readouts}, visited_readouts)

# %% [markdown]
# P2 reports 74 unique fixed points at tolerance 2·10⁻⁶, lying on a line; we find
# {glue:text}`toy_n_fixed_points` at x* = 0, {glue:text}`toy_line_fraction:.0f`% of their
# variance along one direction, with readouts {glue:text}`toy_fp_readout_range` (the full
# schedule: {glue:text}`toy_full_col_fixed_points`). The count
# depends on the number of seeds and on the de-duplication radius (the paper gives neither),
# so only "tens to hundreds of points on a line" is comparable. Where the points lie is
# more telling: at x* = x̄ the fixed points cover {glue:text}`toy_fp_noise_readout_range`,
# while 90% of the visited states have readouts in {glue:text}`toy_visited_readout_range`.
# Where the x* = 0 points cover much less than the visited range, the network holds its
# sentiment steady under noise words but drifts slowly under the input it never saw: there
# the line is made of slow points (q above the tolerance) rather than fixed points.
#
# ## The spectrum at the context fixed point
#
# The probe sentences all start at h₀. We linearise at the fixed point nearest the states
# they visit (h₀ and the states after "very", "not" and "not n n n"; [ours]: P2 does not say
# how the point was chosen) and decompose J_rec = ∂F/∂h there into eigenmodes
# J = R Λ L (columns of R: right eigenvectors r_a; rows of L = R⁻¹: left eigenvectors l_a).

# %%
anchor, spec = analysis.anchor, analysis.spec  # toy.anchor_index, toy.spectrum
print(f"fixed point #{anchor}, readout {fixed.readouts[anchor]:+.2f}, "
      f"{np.linalg.norm(fixed.points[anchor] - h0):.2f} from h0")
print("largest |λ|:", np.round(spec.eigenvalues[:4], 3))
print(f"τ₁ = {spec.time_constants[0]:.0f} tokens")

# %% [markdown]
# A modifier kicks the state by Δh = F(h, x_mod) − h. Which modes does the kick excite? The
# coefficient of mode a is l_a · Δh, so the angle between Δh and each left eigenvector
# (P2's supplementary Fig. 13) tells: near 0° the kick is mostly that mode's coordinate,
# near 90° it leaves the mode alone. We measure the kicks from h₀, where the sentences start.

# %%
# kicks: toy.deflection(params, h0, word); angles: toy.mode_angles(kick, spec.left);
# closest: toy.closest_group(spec, kick)
kicks, angles, closest = analysis.kicks, analysis.angles, analysis.closest
for word, modes in closest.items():
    print(f'"{word}": closest mode(s) λ = {np.round(spec.eigenvalues[list(modes)], 3)}, '
          f"angle {angles[word][modes[0]]:.1f}° (next closest: "
          f"{np.sort(angles[word])[len(modes)]:.1f}°)")

# %% mystnb={"figure": {"caption": "Angle between the deflection of \"not\" (red) or \"very\" (blue) and each left eigenvector of the recurrent Jacobian, with the modes sorted by |λ| from the largest; the dotted grey line is |λ| (right axis).", "name": "fig-ch7-angles"}}
fig = toy_plots.mode_angles(angles, spec.eigenvalues)

# %% mystnb={"figure": {"caption": "Eigenvalues of the recurrent Jacobian at the anchor fixed point in the complex plane, with the unit circle; the open circles mark the mode (pair) closest to the deflection of \"not\" (red) and of \"very\" (blue).", "name": "fig-ch7-eigenvalues"}}
fig = toy_plots.eigenvalue_plane(spec.eigenvalues, {f'"{w}" closest': m for w, m in closest.items()})

# %%
not_pair = spec.eigenvalues[closest["not"][0]]  # used by exercise 2
print(f'"not": λ = {numbers["not_pair"]}, turning {numbers["not_rotation"]:.0f}° per token; '
      f'"very": λ = {numbers["very_mode"]}, {numbers["very_rank"]} of {numbers["n_modes"]} '
      f"modes faster")

# %% [markdown]
# P2 reports λ ≈ 1 for integration, a complex pair for "not" and λ ≈ 0 for "very". We
# measure |λ₁| = {glue:text}`toy_lambda1:.3f`; the "not" kick is closest to the mode(s)
# λ = {glue:text}`toy_not_pair` (a pair turns the kick by {glue:text}`toy_not_rotation:.0f`°
# per token while shrinking it); the "very" kick is closest to λ = {glue:text}`toy_very_mode`
# (|λ| = {glue:text}`toy_very_abs:.2f`, with {glue:text}`toy_very_rank` of the {glue:text}`toy_n_modes`
# modes faster). A mode with small |λ| forgets a kick within a token or two, which is what a
# one-token modifier needs; a rotating pair can carry a kick through several tokens while
# changing the direction it pushes in. (The full schedule: |λ₁| =
# {glue:text}`toy_full_col_lambda1`, "not" closest to λ = {glue:text}`toy_full_col_not_mode`,
# "very" closest to λ = {glue:text}`toy_full_col_very_mode`.)
#
# ## The linear prediction for the 16 probes
#
# After a context the state is h_ctx; a valence word x changes the readout by
# w·(F(h_ctx, x) − F(h_ctx, 0)). To first order in x that is wᵀ J_inp(h_ctx, 0) x: the
# context acts *only* by changing the input Jacobian. P2 checks this for four words after
# four contexts (n is a noise word; we use "the").

# %%
probes = analysis.probes  # toy.probe_effects(params, h0)
for i, context in enumerate(probes.contexts):
    print(f"{context or '(nothing)':16s} rule {probes.target[i]}  network "
          f"{np.round(probes.true_change[i], 2)}  linear {np.round(probes.linear_prediction[i], 2)}")
print(f"largest |linear − network| {numbers['probe_linear_error']:.3f}, correlation "
      f"{numbers['probe_correlation']:.4f}; largest |network − rule| "
      f"{numbers['probe_rule_error']:.3f}")

# %% mystnb={"figure": {"caption": "The probes. Left: the linear prediction wᵀ J_inp x against the network's readout change. Right: the network's readout change against the rule's target contribution. The marker shape is the context, the colour the word (green positive, purple negative; open for good and bad, filled for awesome and awful); the grey diagonal marks equality.", "name": "fig-ch7-probes"}}
fig = toy_plots.probe_comparison(*probes)

# %% [markdown]
# P2 reports that the linear prediction matches the true readout change for all 16 probes;
# we measure a largest gap of {glue:text}`toy_probe_linear_error:.2f` between the two, and
# a largest gap of {glue:text}`toy_probe_rule_error:.2f` between the network and the rule
# (the full schedule: {glue:text}`toy_full_col_probes`).
#
# ## Mode ablation
#
# If "not" works through its complex pair, then removing that pair from its kick should
# abolish negation. We cut one mode (or conjugate pair) at a time from Δh,
# Δh ↦ Δh − Re Σ_a r_a (l_a · Δh), run the real network from h₀ + Δh through the rest
# of the probe, and measure the gain of the valence words (readout change over its value
# without the modifier; averaged over the four words and, for "not", the four positions in
# its window). An intact "not" has gain −1, an intact "very" 2, an abolished modifier 1.

# %%
ablations = analysis.ablations  # toy.mode_ablation(params, spec, word, h_start=h0)
for ablation in ablations:
    best = ablation.ranking[0]
    print(f'"{ablation.modifier}": intact gain {ablation.gain_intact:+.2f}; removing '
          f"λ = {toy.eigen_label(ablation.eigenvalues[best])} gives "
          f"{ablation.gains[best]:+.2f} ({100 * ablation.removed[best]:.0f}% of the effect)")

# %% mystnb={"figure": {"caption": "For the deflections of \"not\" (left) and \"very\" (right), the fraction of the modifier's effect removed by cutting one eigenmode (or complex pair) from the deflection, for its six top-ranked modes labelled by their eigenvalue λ; the dashed line is the whole effect.", "name": "fig-ch7-ablation"}}
fig = toy_plots.ablation_ranking(ablations)

# %%
full_numbers = None if full is None else full["numbers"]
glue("toy_attribution_text", toy.attribution_text(ablations, full_numbers), display=False)

# %% [markdown]
# {glue:text}`toy_attribution_text:s`
#
# ## The picture: P2 Fig. 2
#
# The fixed points whose readouts lie in the range the visited states reach, and a few
# probe trajectories from h₀ (squares), in the first three principal components of all of
# them together: the line, and the excursions the modifiers cause off it.

# %% mystnb={"figure": {"caption": "The fixed points (grey dots, with input x* = x̄ light and x* = 0 dark, within the visited readout range) and the state trajectories of four probe sequences (coloured lines, the start a square) in the first three principal components; fixed points far from the bulk are not drawn (their number is written in the corner).", "name": "fig-ch7-pca"}}
def in_range(found):
    return found.points[(found.readouts > visited_readouts.min())
                        & (found.readouts < visited_readouts.max())]


paths = {s: toy.trajectory(params, h0, s)
         for s in ("good good good", "not good", "very good", "not the the the good")}
lines = {"fixed points, x* = x̄": in_range(fixed_noise), "fixed points, x* = 0": in_range(fixed)}
basis = pca(np.concatenate([*lines.values(), *paths.values()]), n_components=3)
fig = toy_plots.pca_3d({k: basis.transform(v) for k, v in lines.items()},
                       {k: basis.transform(v) for k, v in paths.items()})

# %% [markdown]
# ## Authors vs this book
#
# The third column is the same analysis of the authors' full schedule, run once by
# `benchmarks/toy_full_schedule.py` (numbers in `book/data/toy_full_schedule.json`).
#
# | quantity | P2 (40,000 steps) | this book ({glue:text}`toy_n_steps` steps) | this book, full 40,000-step schedule ({glue:text}`toy_full_provenance`) |
# | --- | --- | --- | --- |
# | time to generate 100,000 × 50 tokens and targets | minutes (a Python loop) | {glue:text}`toy_generation_seconds:.2f` s | (same generator) |
# | evaluation MSE | ≈ 0.006 | {glue:text}`toy_col_eval_mse` | {glue:text}`toy_full_col_eval_mse` |
# | unique fixed points at x* = 0 (q < 2·10⁻⁶) | 74, on a line | {glue:text}`toy_col_fixed_points` | {glue:text}`toy_full_col_fixed_points` |
# | … at x* = x̄ (noise words) [ours] | — | {glue:text}`toy_col_noise_fixed_points` | {glue:text}`toy_full_col_noise_fixed_points` |
# | top eigenvalue at the context fixed point | ≈ 1 | {glue:text}`toy_col_lambda1` | {glue:text}`toy_full_col_lambda1` |
# | mode closest to the "not" kick | complex pair | {glue:text}`toy_col_not_mode` | {glue:text}`toy_full_col_not_mode` |
# | mode closest to the "very" kick | λ ≈ 0 | {glue:text}`toy_col_very_mode` | {glue:text}`toy_full_col_very_mode` |
# | linear vs true readout change, 16 probes | match | {glue:text}`toy_col_probes` | {glue:text}`toy_full_col_probes` |
# | "not" effect removed by its top-ranked mode | abolished | {glue:text}`toy_col_not_removed` | {glue:text}`toy_full_col_not_removed` |
# | "very" effect removed by its top-ranked mode | abolished | {glue:text}`toy_col_very_removed` | {glue:text}`toy_full_col_very_removed` |
#
# ## Exercises
#
# :::{exercise}
# :label: toy-ex-1
# Change the rule so that two `not`s cancel (the contribution is multiplied by (−1)^k, with k
# the number of `not`s among the previous four tokens). Which hand-made sentence above
# changes its contribution? Write the vectorised version.
# :::
#
# :::{solution} toy-ex-1
# :class: dropdown
# Only "not not good" changes (−1 → +1). Count instead of OR:
# `k = sum(np.roll(is_not, lag, axis=-1) with the first lag columns zeroed for lag in 1..4)`,
# then multiply the valence by `np.where(k % 2 == 1, -1, 1)`. A network trained on this rule
# must track the parity of the `not`s in its window, not just the time since the last one.
# :::
#
# :::{exercise}
# :label: toy-ex-2
# Write the "not" pair's eigenvalue as λ = ρ·exp(±iφ). In the linear picture a kick along the
# pair is multiplied by ρ and turned by φ every token. Compute ρᵏ and kφ for k = 1 … 5. Is
# the linear decay alone slow enough to hold "not" for four tokens? What does the ablation
# (which runs the full network) say about how much of the effect the pair carries?
# :::
#
# ```{solution-start} toy-ex-2
# :class: dropdown
# ```

# %%
from IPython.display import display

from rnnctx_utils.plots.task import markdown_table

rho, phi = abs(not_pair), float(np.degrees(np.angle(not_pair)))
display(Markdown(markdown_table(["k (tokens)", "ρᵏ (size left)", "kφ (degrees turned)"],
                          [[k, f"{rho ** k:.3f}", f"{k * phi:.0f}"] for k in range(1, 6)])))

# %% [markdown]
# Read ρ⁴ in the table: if it is small, a purely linear kick would have faded before the
# fourth token, and the network keeps negation partly through its nonlinearity (the input
# Jacobian changes along the excursion) and through other modes, consistent with cutting the
# pair removing only part of the effect (the "fraction removed" of the top bar in the
# ablation figure).
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: toy-ex-3
# Replace x* = 0 by the mean one-hot input (1/12 in every coordinate) as the linearisation
# point: find the fixed points of F(h, x̄), and redo the probe table. Do the conclusions
# change? (P1 reports that they do not for the review models.)
# :::
#
# :::{solution} toy-ex-3
# :class: dropdown
# Pass `x = np.full(12, 1 / 12)` to `fixed_points.find_fixed_points` and use
# `linearize.input_jacobians(toy.bound_step(params), states, x)`; the readout changes are
# then relative to F(h, x̄). Compare |λ₁|, the modes closest to the "not" and "very" kicks
# and the largest linear-vs-true gap with the table above.
# :::

"""rnnctx_utils.augmented_bow: the M9 rule computed exactly, and planted parameters recovered."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnctx_utils import augmented_bow as ab
from rnnctx_utils import length_groups, synthetic
from rnnctx_utils.text import tokenize

V = 40
NEGATOR, INTENSIFIER = 34, 35
PLANTED_MODIFIERS = {NEGATOR: (-1.0, 2.5), INTENSIFIER: (3.0, 0.8)}  # id -> (alpha, tau)
PLANTED_POSITION = (1.5, 3.0, 1.0, 2.0)  # beta_b, tau_b, beta_e, tau_e


def reference_scores(tokens, lengths, valence, modifiers, position, window=None):
    """The M9 rule written out with loops over positions (vectorised over documents only)."""
    n, length = tokens.shape
    beta_b, tau_b, beta_e, tau_e = position
    scores = np.zeros(n)
    for t in range(length):
        m = np.ones(n)
        for j in range(t):
            if window is not None and t - j > window:
                continue
            for tok, (alpha, tau) in modifiers.items():
                hit = tokens[:, j] == tok
                m = np.where(hit, m * (1 + (alpha - 1) * np.exp(-(t - j - 1) / tau)), m)
        p = 1 + beta_b * np.exp(-t / tau_b) + beta_e * np.exp(-(lengths - 1 - t) / tau_e)
        scores += np.where(t < lengths, p * m * valence[tokens[:, t]], 0.0)
    return scores


def planted_corpus(n_docs, seed):
    rng = np.random.default_rng(seed)
    valence = np.zeros(V)
    valence[20:34] = np.array([0.5, 1.0, 1.5, 2.0, 0.7, 1.2, 0.9] * 2) * np.repeat([1, -1], 7)
    probs = np.zeros(V)
    probs[1:20] = 0.60 / 19
    probs[20:34] = 0.28 / 14
    probs[[NEGATOR, INTENSIFIER]] = 0.06
    lengths = rng.integers(12, 31, size=n_docs)
    tokens = rng.choice(V, size=(n_docs, 30), p=probs)
    tokens[np.arange(30)[None, :] >= lengths[:, None]] = 0
    score = reference_scores(tokens, lengths, valence, PLANTED_MODIFIERS, PLANTED_POSITION)
    labels = (rng.random(n_docs) < 1 / (1 + np.exp(-3.0 * score))).astype(np.int64)
    return tokens, lengths, labels, score


@pytest.mark.parametrize("window", [None, 3])
def test_logits_equal_the_m9_rule(window):
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 8, size=(16, 9))
    lengths = rng.integers(1, 10, size=16)
    tokens[np.arange(9)[None, :] >= lengths[:, None]] = 0
    model = ab.AugmentedBow("both", 8, modifier_ids=(2, 5), window=window)
    params = ab.init_params(model)
    params.update(
        bias=jnp.asarray(0.3),
        valence=jnp.asarray(rng.standard_normal(8)),
        alpha=jnp.array([-1.5, 2.5]),  # one negative gain: signed factors
        tau_raw=jnp.array([1.0, -0.5]),
        beta_begin=jnp.asarray(0.7),
        tau_begin_raw=jnp.asarray(0.9),
        beta_end=jnp.asarray(-0.4),
        tau_end_raw=jnp.asarray(1.3),
    )
    tau = np.log1p(np.exp([1.0, -0.5, 0.9, 1.3]))
    expected = 0.3 + reference_scores(
        tokens,
        lengths,
        np.asarray(params["valence"]),
        {2: (-1.5, tau[0]), 5: (2.5, tau[1])},
        (0.7, tau[2], -0.4, tau[3]),
        window=window,
    )
    np.testing.assert_allclose(
        ab.logits(params, model, tokens, lengths), expected, rtol=1e-5, atol=1e-5
    )
    learned = ab.learned_modifiers(params, model)
    np.testing.assert_allclose(learned.tau, tau[:2], rtol=1e-6)
    assert ab.learned_position(params, model).tau_end == pytest.approx(tau[3], rel=1e-6)
    # plain bag-of-words: b + Σ v over valid tokens
    bow = ab.AugmentedBow("bow", 8)
    valid = np.arange(9)[None, :] < lengths[:, None]
    np.testing.assert_allclose(
        ab.logits({"bias": params["bias"], "valence": params["valence"]}, bow, tokens, lengths),
        0.3 + np.where(valid, np.asarray(params["valence"])[tokens], 0).sum(1),
        rtol=1e-5,
        atol=1e-5,
    )


def test_backward_factors_discount_the_words_before_a_modifier():
    # tokens 5 2 7 2 9 | padding, modifier 2 with γ = 0.5: every earlier word gets 0.5 per later "2"
    tokens = np.array([[5, 2, 7, 2, 9, 2, 2]])
    lengths = np.array([5])  # the last two "2" are padding: they must not count
    model = ab.AugmentedBow("backward", 10, modifier_ids=(2, 7))
    params = ab.init_params(model, valence=np.arange(10.0), bias=0.0)
    params["log_gamma"] = jnp.log(jnp.array([0.5, 3.0]))  # γ(2) = 0.5, γ(7) = 3
    factors = np.asarray(ab.backward_factors(params, model, jnp.asarray(tokens),
                                             jnp.asarray(lengths)))
    np.testing.assert_allclose(factors[0, :5], [0.25 * 3, 0.5 * 3, 0.5, 1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(ab.learned_backward(params, model), [0.5, 3.0], rtol=1e-6)
    # γ = 1 (the start): the member is "both" exactly
    both = ab.AugmentedBow("both", 10, modifier_ids=(2, 7))
    start = ab.init_params(model, valence=np.arange(10.0))
    np.testing.assert_allclose(ab.logits(start, model, tokens, lengths),
                               ab.logits(ab.init_params(both, valence=np.arange(10.0)), both,
                                         tokens, lengths), rtol=1e-6)
    with pytest.raises(ValueError, match="no backward factors"):
        ab.learned_backward(start, both)


def test_model_validation():
    with pytest.raises(ValueError, match="variant"):
        ab.AugmentedBow("bigrams", 10)
    with pytest.raises(ValueError, match="modifier"):
        ab.AugmentedBow("modifiers", 10)
    with pytest.raises(ValueError, match="vocab_size"):
        ab.AugmentedBow("both", 10, modifier_ids=(12,))


@pytest.mark.slow
def test_fit_recovers_planted_modifiers_and_position():
    tokens, lengths, labels, score = planted_corpus(6000, seed=1)
    train, test = slice(0, 4000), slice(4000, None)
    truth_acc = float(np.mean((score[test] > 0) == (labels[test] == 1)))  # about 0.95
    accuracies, fits = {}, {}
    for variant in ("bow", "both"):
        model = ab.AugmentedBow(variant, V, modifier_ids=(NEGATOR, INTENSIFIER))
        fits[variant] = ab.train_augmented_bow(
            model, tokens[train], lengths[train], labels[train], n_steps=400, learning_rate=0.1
        )
        accuracies[variant] = ab.accuracy(
            fits[variant].params, model, tokens[test], lengths[test], labels[test]
        )
    fit = fits["both"]
    learned = ab.learned_modifiers(fit.params, fit.model)
    position = ab.learned_position(fit.params, fit.model)
    # planted: negator α = −1, τ = 2.5; intensifier α = 3, τ = 0.8 (measured about −1.06 / 2.4
    # and 2.95 / 0.76)
    assert learned.alpha[0] < 0 < 1 < learned.alpha[1]  # the negator flips, intensifier amplifies
    np.testing.assert_allclose(learned.alpha, [-1.0, 3.0], rtol=0.25)
    np.testing.assert_allclose(learned.tau, [2.5, 0.8], rtol=0.25)
    assert position.beta_begin > 0.5 and position.beta_end > 0.5  # planted 1.5 and 1.0
    assert accuracies["both"] > truth_acc - 0.02
    assert accuracies["both"] > accuracies["bow"] + 0.05  # plain bag-of-words: about 0.78
    assert fit.loss_history[-50:].mean() < fit.loss_history[:50].mean()
    correct = ab.predict_correct(fit.params, fit.model, tokens[test], lengths[test], labels[test])
    assert correct.shape == (2000,) and correct.mean() == pytest.approx(accuracies["both"])


@pytest.mark.slow
def test_family_nested_over_a_baseline_never_loses_on_validation():
    from rnnctx_utils import bow
    from rnnctx_utils import necessity_sufficiency as ns

    tokens, lengths, labels, _ = planted_corpus(5000, seed=2)
    train, valid, test = slice(0, 3000), slice(3000, 4000), slice(4000, None)
    ids = [list(row[:n]) for row, n in zip(tokens, lengths, strict=True)]
    base = bow.fit_baseline(ids[train], labels[train], ids[valid], labels[valid], V,
                            kinds=("counts",))
    l2 = ns.baseline_l2(base.C, 3000)
    fits = ns.fit_family(tokens[train], lengths[train], labels[train], V,
                         (NEGATOR, INTENSIFIER),
                         settings=ns.SufficiencySettings(fit_steps=300, window=None),
                         baseline=(base.weights, base.bias),
                         valid=(tokens[valid], lengths[valid], labels[valid]), l2=l2)
    assert fits.settings == ns.SufficiencySettings(fit_steps=300, window=None)  # recorded
    assert fits.l2 == l2 and fits.nested
    # the plain member is the baseline itself: same validation accuracy, no steps taken
    assert fits["bow"].best_step == 0
    assert fits["bow"].valid_accuracy == pytest.approx(base.valid_accuracy, abs=1e-12)
    for variant, fit in fits.items():
        assert fit.valid_accuracy >= base.valid_accuracy, variant  # by construction
    # on this planted corpus modifiers and position are real: the full member gains on test
    acc = {v: ab.accuracy(f.params, f.model, tokens[test], lengths[test], labels[test])
           for v, f in fits.items()}
    assert acc["both"] > acc["bow"] + 0.05 and fits["both"].best_step > 0


def test_a_family_fit_records_its_settings():
    import pickle

    from rnnctx_utils import necessity_sufficiency as ns

    tokens, lengths, labels, _ = planted_corpus(200, seed=4)
    settings = ns.SufficiencySettings(fit_steps=3, window=4, seed=7)
    fits = ns.fit_family(tokens, lengths, labels, V, (NEGATOR,), variants=("bow", "modifiers"),
                         settings=settings, l2=1e-4)
    assert isinstance(fits, dict) and list(fits) == ["bow", "modifiers"]
    assert fits.settings == settings and fits.l2 == 1e-4 and not fits.nested
    assert fits["modifiers"].model.window == 4 and len(fits["modifiers"].loss_history) == 3
    assert "settings=SufficiencySettings(fit_steps=3" in repr(fits)
    again = pickle.loads(pickle.dumps(fits))  # as the analysis cache would store it
    assert again.settings == settings and again.l2 == 1e-4 and list(again) == list(fits)
    default = ns.fit_family(tokens, lengths, labels, V, (NEGATOR,), variants=("bow",),
                            settings=ns.SufficiencySettings(fit_steps=1))
    assert default.settings.fit_steps == 1 and default.settings.window == 10


def test_init_from_a_baseline_reproduces_its_logits():
    tokens, lengths, _, _ = planted_corpus(50, seed=3)
    rng = np.random.default_rng(0)
    valence, bias = rng.normal(0, 1, V), 0.3
    for variant in ab.ALL_VARIANTS:
        model = ab.AugmentedBow(variant, V, modifier_ids=(NEGATOR, INTENSIFIER))
        params = ab.init_params(model, valence=valence, bias=bias)
        expected = bias + np.array([valence[row[:n]].sum() for row, n in zip(tokens, lengths,
                                                                             strict=True)])
        np.testing.assert_allclose(np.asarray(ab.logits(params, model, tokens, lengths)),
                                   expected, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="valence must have shape"):
        ab.init_params(model, valence=np.zeros(3))


def test_length_groups_and_trimmed_prediction_are_exact():
    rng = np.random.default_rng(5)
    lengths = np.r_[rng.integers(3, 20, 300), rng.integers(150, 400, 12)]  # a long tail
    tokens = np.zeros((lengths.size, 400), np.int64)
    for row, n in enumerate(lengths):
        tokens[row, :n] = rng.integers(1, V, n)
    labels = rng.integers(0, 2, lengths.size)
    groups = length_groups.length_groups(lengths)
    assert len(groups) == length_groups.N_LENGTH_GROUPS
    covered = np.sort(np.concatenate([g for g, _ in groups]))
    np.testing.assert_array_equal(covered, np.arange(lengths.size))
    for g, width in groups:  # every group padded to (at least) its longest document only
        assert lengths[g].max() <= width <= lengths.max()
        assert width % 64 == 0 or width == lengths.max()
    assert len(length_groups.length_groups(np.full(50, 30))) == 1  # even lengths: one group
    model = ab.AugmentedBow("both", V, modifier_ids=(NEGATOR, INTENSIFIER))
    params = ab.init_params(model, valence=rng.normal(0, 1, V), bias=0.1)
    params["alpha"] = jnp.array([-1.0, 3.0])
    full = np.asarray(ab.logits(params, model, tokens, lengths)) > 0
    np.testing.assert_array_equal(ab.predict_correct(params, model, tokens, lengths, labels,
                                                     batch_size=64), full == (labels == 1))
    fit = ab.train_augmented_bow(model, tokens, lengths, labels, n_steps=60, eval_every=20,
                                 valid=(tokens, lengths, labels))
    assert np.isfinite(fit.loss_history).all() and fit.loss_history.size == 60


def test_length_groups_pad_least():
    # The cuts are the least-padding ones (brute force over every split into at most four
    # contiguous groups of the sorted documents), quantiles when nothing pads less.
    rng = np.random.default_rng(7)
    lengths = np.r_[rng.integers(5, 120, 28), rng.integers(130, 700, 10), [2000]]
    groups = length_groups.length_groups(lengths)
    padded = sum(g.size * width for g, width in groups)
    widths = np.sort([length_groups.rounded_width(int(n), int(lengths.max())) for n in lengths])
    best = min(sum(part.size * part[-1] for part in np.split(widths, list(cuts)) if part.size)
               for n_cuts in range(4) for cuts in itertools.combinations(range(1, 39), n_cuts))
    quartiles = length_groups.padded_tokens(widths, np.array([10, 20, 30]))
    assert padded == best == 11472 < quartiles == 24400
    assert [(g.size, width) for g, width in groups] == [(28, 128), (6, 512), (4, 704), (1, 2000)]
    # every width capped at the longest document (SST-2's sentences): equal quantile groups
    short = np.r_[np.full(90, 3), np.full(10, 20)]
    assert [g.size for g, _ in length_groups.length_groups(short)] == [25, 25, 25, 25]


@pytest.mark.slow
def test_fit_recovers_a_planted_backward_discount():
    # "X but Y" where the label ignores most of X: γ(but) = 0.2 planted, no forward effect
    rng = np.random.default_rng(4)
    tokens, lengths, _, _ = planted_corpus(6000, seed=4)
    but = NEGATOR  # reuse the id as a contrastive word
    truth_model = ab.AugmentedBow("backward", V, modifier_ids=(but,), window=None)
    valence = np.zeros(V)
    valence[20:34] = np.array([0.5, 1.0, 1.5, 2.0, 0.7, 1.2, 0.9] * 2) * np.repeat([1, -1], 7)
    truth = ab.init_params(truth_model, valence=valence)
    truth["log_gamma"] = jnp.log(jnp.array([0.2]))
    score = np.asarray(ab.logits(truth, truth_model, tokens, lengths))
    labels = (rng.random(score.size) < 1 / (1 + np.exp(-3.0 * score))).astype(np.int64)
    train, test = slice(0, 4500), slice(4500, None)
    fits = {v: ab.train_augmented_bow(ab.AugmentedBow(v, V, modifier_ids=(but,)),
                                      tokens[train], lengths[train], labels[train],
                                      n_steps=400, learning_rate=0.1)
            for v in ("both", "backward")}
    gamma = ab.learned_backward(fits["backward"].params, fits["backward"].model)[0]
    assert 0.1 < gamma < 0.35  # planted 0.2
    acc = {v: ab.accuracy(f.params, f.model, tokens[test], lengths[test], labels[test])
           for v, f in fits.items()}
    assert acc["backward"] > acc["both"] + 0.02


# ---------------------------------------------------------------------------------------------
# Cross-check with the synthetic corpus: the family's "both" member with the planted α, τ, β and
# the planted valences is the generator's rule (rnnctx_utils.synthetic), document for document.


def _softplus_inverse(tau):
    return np.log(np.expm1(np.asarray(tau, np.float64)))


def _planted_member(truth, words, *, float64):
    """The "both" member whose parameters are the synthetic corpus's planted rule.

    Token id i is ``words[i]``; valences, gains and timescales are read from ``truth``. τ enters
    through softplus(tau_raw), so tau_raw = softplus⁻¹(τ) (exact to rounding).
    """
    dtype = jnp.float64 if float64 else jnp.float32
    ids = {w: i for i, w in enumerate(words)}
    modifier_words = tuple(truth.modifiers)
    model = ab.AugmentedBow("both", len(words), modifier_ids=tuple(ids[w] for w in modifier_words))
    pos = truth.position
    taus = [truth.modifiers[w].tau for w in modifier_words]
    params = {
        "bias": jnp.asarray(0.0, dtype),
        "valence": jnp.asarray([truth.valence.get(w, 0.0) for w in words], dtype),
        "alpha": jnp.asarray([truth.modifiers[w].alpha for w in modifier_words], dtype),
        "tau_raw": jnp.asarray(_softplus_inverse(taus), dtype),
        "beta_begin": jnp.asarray(pos.beta_begin, dtype),
        "tau_begin_raw": jnp.asarray(_softplus_inverse(pos.tau_begin), dtype),
        "beta_end": jnp.asarray(pos.beta_end, dtype),
        "tau_end_raw": jnp.asarray(_softplus_inverse(pos.tau_end), dtype),
    }
    return model, params


def _padded_ids(documents, words, width=128):
    """[n, width] ids (one width for every batch: one compilation) and [n] lengths."""
    ids = {w: i for i, w in enumerate(words)}
    lengths = np.array([len(d) for d in documents])
    tokens = np.zeros((len(documents), width), np.int64)  # id 0 pads (masked)
    for row, doc in enumerate(documents):
        tokens[row, :len(doc)] = [ids[w] for w in doc]
    return tokens, lengths


_contributions = jax.jit(ab.contributions, static_argnums=1)


@pytest.mark.parametrize("float64", [True, False])
def test_planted_member_reproduces_the_synthetic_corpus_scores(float64):
    # the generator's defaults, and a second rule with other α, τ, β (incl. α = 0, a diminisher
    # turned negator, long timescales) so that agreement is not an accident of the defaults
    other = {"not": synthetic.Modifier(-0.4, 6.0), "very": synthetic.Modifier(0.0, 2.0),
             "somewhat": synthetic.Modifier(-2.0, 0.5), "but": synthetic.Modifier(4.0, 8.0)}
    corpora = [synthetic.generate(40, seed=5),
               synthetic.generate(40, seed=6, min_len=5, max_len=120, modifiers=other,
                                  position=synthetic.PositionWeights(-0.7, 2.5, 2.0, 9.0))]
    for corpus in corpora:
        truth = corpus.truth
        documents = [tokenize(text) for text in corpus.texts]
        # hand-made overlaps: modifiers in a row, a negator reaching over five tokens, the
        # first and last token of a document, a one-token document
        documents += [["not", "very", "good"], ["never", "n't", "not", "bad"],
                      ["but", "the", "plot", "is", "not", "at", "all", "awful", "but", "fun"],
                      ["perfect"], ["extremely", "extremely", "dreadful", "."]]
        expected = np.r_[truth.scores, [truth.score_tokens(d)[0] for d in documents[40:]]]
        tokens, lengths = _padded_ids(documents, truth.words)
        with jax.enable_x64(float64):
            model, params = _planted_member(truth, truth.words, float64=float64)
            got = np.asarray(ab.logits(params, model, jnp.asarray(tokens),
                                       jnp.asarray(lengths)), np.float64)
            terms = np.asarray(_contributions(params, model, jnp.asarray(tokens),
                                              jnp.asarray(lengths)), np.float64)
        # float64: the two implementations differ only by rounding (a product of factors vs
        # exp of a sum of logs; softplus(softplus⁻¹(τ))): measured 5e-15 on scores up to 20,
        # so 1e-12. float32 (the book's precision): ~1e-7 relative per term, ≤ 120 terms of
        # size ≤ ~5: measured 2.5e-6, so 2e-5. A 1% error in one τ moves scores by 0.04.
        atol = 1e-12 if float64 else 2e-5
        np.testing.assert_allclose(got, expected, rtol=0, atol=atol)
        for row, doc in enumerate(documents[:40]):
            np.testing.assert_allclose(terms[row, :len(doc)], truth.contributions[row],
                                       rtol=0, atol=atol)
        assert np.all(terms[np.arange(tokens.shape[1])[None] >= lengths[:, None]] == 0)
        # the check has teeth: the planted scores are far from a plain bag of words
        bow = np.array([sum(truth.valence.get(w, 0.0) for w in d) for d in documents])
        assert np.abs(bow - expected).max() > 1.0

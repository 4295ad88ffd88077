"""The configuration: defaults, environment overrides, validation and digest."""

from __future__ import annotations

import dataclasses

import pytest

from rnnctx_utils.config import FAST_OVERRIDES, Config, ConfigError, config


def test_defaults_without_environment() -> None:
    cfg = config(env={})
    assert cfg == Config()
    assert cfg.corpus == "synthetic" and cfg.is_synthetic
    assert cfg.cell == "gru" and not cfg.fast


def test_environment_overrides_with_types() -> None:
    cfg = config(env={"RNNCTX_N_HIDDEN": "48", "RNNCTX_LEARNING_RATE": "0.002",
                      "RNNCTX_CELL": "lstm", "RNNCTX_FAST": "true"})
    assert cfg.n_hidden == 48 and isinstance(cfg.n_hidden, int)
    assert cfg.learning_rate == pytest.approx(0.002)
    assert cfg.cell == "lstm"
    assert cfg.fast is True
    # Fast mode shrinks what was not overridden explicitly.
    assert cfg.n_train == FAST_OVERRIDES["n_train"]
    assert cfg.n_steps == FAST_OVERRIDES["n_steps"]


def test_keyword_overrides_win_over_environment() -> None:
    cfg = config(env={"RNNCTX_N_HIDDEN": "48"}, n_hidden=16)
    assert cfg.n_hidden == 16


def test_corpus_defaults_apply_per_corpus() -> None:
    imdb = config(env={"RNNCTX_CORPUS": "imdb"})
    assert imdb.corpus == "imdb" and imdb.n_train == 20_000 and imdb.n_valid == 5_000
    local = config(env={"RNNCTX_CORPUS": "/data/reviews.parquet"})
    assert local.corpus == "/data/reviews.parquet" and local.min_count == 5
    assert not local.is_synthetic


def test_local_copies_of_hub_corpora_get_their_defaults() -> None:
    sst2 = config(env={"RNNCTX_CORPUS": "train=/d/sst2_phrases_train.parquet,"
                                        "test=/d/sst2_validation.parquet"})
    assert (sst2.max_len, sst2.n_train, sst2.min_count) == (80, 0, 1)
    imdb = config(env={"RNNCTX_CORPUS": "/d/imdb_train.parquet"})
    assert (imdb.max_len, imdb.n_train, imdb.n_valid, imdb.n_test) == (400, 20_000, 5_000, 0)
    yelp = config(env={"RNNCTX_CORPUS": "/d/yelp_polarity/*.csv"})
    assert yelp.max_len == 300 and yelp.n_train == 50_000
    # a word inside another word does not count: "imdbx" is just a local file
    other = config(env={"RNNCTX_CORPUS": "/d/imdbx.csv"})
    assert other.n_test == 0 and other.max_len == 400 and other.min_count == 5
    # explicit settings still win
    assert config(env={"RNNCTX_CORPUS": "/d/sst2_train.parquet", "RNNCTX_MAX_LEN": "50"}
                  ).max_len == 50


def test_digest_changes_with_any_field_and_only_then() -> None:
    base = config(env={})
    assert base.digest() == config(env={}).digest()
    assert len(base.digest()) == 16
    digests = {base.digest()}
    for field in dataclasses.fields(Config):
        value = getattr(base, field.name)
        if isinstance(value, bool):
            changed = not value
        elif isinstance(value, int):
            changed = value + 1
        elif isinstance(value, float):
            changed = value * 0.5
        else:
            changed = {"corpus": "imdb", "cell": "lstm", "truncate": "first"}[field.name]
        digests.add(base.replace(**{field.name: changed}).digest())
    assert len(digests) == 1 + len(dataclasses.fields(Config))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RNNCTX_CELL": "transformer"}, "unknown cell 'transformer'"),
        ({"RNNCTX_N_HIDDEN": "many"}, "RNNCTX_N_HIDDEN='many' is not a valid int"),
        ({"RNNCTX_N_HIDDEN": "0"}, "n_hidden must be positive"),
        ({"RNNCTX_LR_DECAY": "1.5"}, "lr_decay must be in (0, 1]"),
        ({"RNNCTX_HIDDEN": "64"}, "unknown setting RNNCTX_HIDDEN"),
        ({"RNNCTX_FAST": "maybe"}, "RNNCTX_FAST='maybe' is not a valid bool"),
        ({"RNNCTX_MIN_DOC_LEN": "90"}, "min_doc_len=90 exceeds max_doc_len=80"),
    ],
)
def test_bad_values_raise_clear_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config(env=env)
    assert message in str(info.value)


def test_unknown_keyword_is_an_error() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'hidden'"):
        config(env={}, hidden=3)


def test_cache_and_quiet_variables_are_not_fields() -> None:
    assert config(env={"RNNCTX_CACHE": "/tmp/x", "RNNCTX_QUIET": "1"}) == Config()


def test_describe_names_corpus_cell_and_digest() -> None:
    synthetic = config(env={})
    local = config(env={"RNNCTX_CORPUS": "/data/imdb_train.parquet"})
    assert "planted ground truth" in synthetic.describe()
    assert synthetic.digest() in synthetic.describe()
    line = local.describe()
    assert "/data/imdb_train.parquet" in line and "planted" not in line
    assert f"{local.n_steps:,} training steps" in line and "GRU with 128 units" in line

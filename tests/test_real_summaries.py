"""rnnctx_utils.real_summaries: recorded real-review numbers read back, formatted, and worded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnctx_utils import real_summaries as rs


def _write(folder: Path, corpus: str, **values: object) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{corpus}.json").write_text(json.dumps({
        "corpus": corpus, "description": "d", "config": {"n_hidden": 8}, "seconds": 61,
        "sources_digest": "0123", "values": values}))


def test_load_orders_corpora_and_formats_missing_values(tmp_path: Path) -> None:
    _write(tmp_path, "imdb", ch6_acc_bow=0.887, ch6_acc_rnn=0.878, ch5_tau_not=float("nan"),
           ch6_recovered_both=0.5)
    _write(tmp_path, "sst2", ch6_acc_bow=0.80, ch6_acc_rnn=0.85, ch6_recovered_both=0.5,
           ch6_recovered_both_low=0.1, ch6_recovered_both_high=0.9)
    sst2, imdb = rs.load(tmp_path)
    assert (sst2.name, imdb.name) == ("SST-2", "IMDB") and sst2.seconds == 61.0
    assert imdb.fmt("ch5_tau_not") == "—" and imdb.fmt("absent") == "—"  # nan and missing
    assert sst2.fmt("ch6_acc_rnn", "{:.3f}") == "0.850"
    assert sst2.rnn_gain and not imdb.rnn_gain
    assert sst2.recovered("both") == "0.50 [0.10, 0.90]"
    assert imdb.recovered("both").startswith("— (the RNN does not beat bag-of-words")
    assert rs.load(tmp_path / "none") == []


def test_chapter_tables_have_one_column_per_corpus(tmp_path: Path) -> None:
    _write(tmp_path, "sst2", ch4_top20=[["not", 0.5, 1, 40], ["the", 0.4, 9, 900],
                                        ["but", 0.3, 2, 80]], ch4_modifiers=["not", "ca"])
    summaries = rs.load(tmp_path)
    for chapter, rows in rs.CHAPTER_ROWS.items():
        table = rs.chapter_table(chapter, summaries).splitlines()
        assert table[0] == "| quantity | P2 (Yelp) | SST-2 |" and len(table) == 2 + len(rows)
    assert summaries[0].on_check_list() == ["not", "but"]
    text = rs.reading("ch4", summaries)
    assert text.startswith("**SST-2**: 2 of the top 20") and "ca is not on the list" in text
    with pytest.raises(ValueError, match="unknown chapter 'ch9'"):
        rs.chapter_table("ch9", summaries)


def test_sufficiency_reading_follows_the_verdict(tmp_path: Path) -> None:
    _write(tmp_path, "imdb", ch6_acc_bow=0.887, ch6_acc_both=0.893, ch6_acc_rnn=0.878,
           ch6_verdict_sufficiency="not measurable (no RNN gain over bag-of-words)")
    assert "cannot be measured here" in rs.reading("ch6", rs.load(tmp_path))


def test_committed_summaries_render_without_nan() -> None:
    summaries = rs.load()
    assert [s.corpus for s in summaries] == ["sst2", "imdb"]
    for chapter in rs.CHAPTER_ROWS:
        rendered = rs.chapter_table(chapter, summaries) + rs.reading(chapter, summaries)
        assert "nan" not in rendered.lower().replace("mean", "")
    assert "nan" not in rs.verdict_table(summaries)


def test_residual_table_counts_the_rnn_gain_in_documents(tmp_path: Path) -> None:
    _write(tmp_path, "sst2", ch6_residual_models=["rnn", "bow", "both"],
           ch6_residual_groups=[["negators", 190, 0.816, 0.721, 0.73],
                                ["diminishers", 0, None, None, None]])
    table = rs.residual_table(rs.load(tmp_path)[0]).splitlines()
    assert table[0] == "| documents with | n | RNN | BoW | + both | RNN − BoW (documents) |"
    assert table[2] == "| negators | 190 | 0.816 | 0.721 | 0.730 | +18 |"
    assert table[3] == "| diminishers | 0 | — | — | — | — |"


def test_residual_reading_names_the_group_with_the_largest_gain(tmp_path: Path) -> None:
    _write(tmp_path, "sst2", ch6_residual_models=["rnn", "bow", "both"],
           ch6_residual_groups=[["negators", 100, 0.80, 0.70, 0.72],
                                ["contrastives", 50, 0.80, 0.70, 0.80],
                                ["(none)", 400, 0.90, 0.80, 0.80]])
    text = rs.residual_reading(rs.load(tmp_path)[0])
    assert text.startswith("SST-2: the RNN's gain over bag-of-words is largest on the 100 "
                           "documents with negators (+10 documents")
    assert text.endswith("reach + both 0.720.")


def test_section_is_the_table_and_its_reading_or_a_note(tmp_path: Path) -> None:
    _write(tmp_path, "sst2", ch5_tau_not=3.35, ch5_tau_extremely=2.89, ch5_tau_diff=0.46,
           ch5_tau_diff_low=0.1, ch5_tau_diff_high=0.8)
    text = rs.section("ch5", rs.load(tmp_path))
    assert text.startswith("| quantity | P2 (Yelp) | SST-2 |")
    row = "| τ(not) − τ(extremely) [95% bootstrap interval] | ≈ +1 | +0.46 [+0.10, +0.80] |"
    assert row in text
    assert "lasts longer than \"extremely\" (τ 2.89) (difference +0.46" in text
    assert "its sign does not depend on where along the line" in text
    assert rs.section("ch5", []).startswith("No real-review summary found")


def test_residual_reading_without_an_rnn_gain(tmp_path: Path) -> None:
    _write(tmp_path, "imdb", ch6_residual_models=["rnn", "bow", "both"],
           ch6_residual_groups=[["negators", 100, 0.80, 0.85, 0.86],
                                ["diminishers", 50, 0.80, 0.82, 0.83]])
    text = rs.residual_reading(rs.load(tmp_path)[0])
    assert text.startswith("IMDB: the RNN is not ahead of bag-of-words in any group (closest: "
                           "the 50 documents with diminishers, -1 documents")


def test_chapter_markdown_tables_escape_pipes_inside_cells() -> None:
    from rnnctx_utils.plots.task import markdown_table

    table = markdown_table(["quantity", "|λ₁|"], [["|e − e*|", 0.5]]).splitlines()
    assert table == ["| quantity | \\|λ₁\\| |", "| --- | --- |", "| \\|e − e*\\| | 0.5 |"]

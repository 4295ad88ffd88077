"""Tokenizer, vocabulary, encoding and length-bucketed batches."""

from __future__ import annotations

import numpy as np
import pytest

from rnnctx_utils.text import Encoded, Vocab, batches, build_vocab, encode_texts, tokenize


@pytest.mark.parametrize("text, expected", [
    ("I don't like it.", ["i", "do", "n't", "like", "it", "."]),
    ("This movie is awesome. I like it.",
     ["this", "movie", "is", "awesome", ".", "i", "like", "it", "."]),
    ("Great film!<br /><br />Can't WAIT", ["great", "film", "!", "ca", "n't", "wait"]),
    ("<i>Bold</i> &amp; brave &quot;fun&quot;",
     ["bold", "&", "brave", '"', "fun", '"']),
    ("i <3 it, a < b", ["i", "<", "3", "it", ",", "a", "<", "b"]),
    ("It's what they've said...!!!", ["it", "'s", "what", "they", "'ve", "said", ".", "!"]),
    ("does n't , it 's", ["does", "n't", ",", "it", "'s"]),  # already PTB-tokenized (SST)
    ("It\u2019s n\u2019t \u201cok\u201d", ["it", "'s", "n't", "\u201c", "ok", "\u201d"]),
    ("Caf\u00e9 NA\u00cfVE \uff21\uff22 \U0001f600\U0001f600 7/10",
     ["caf\u00e9", "na\u00efve", "ab", "\U0001f600", "7", "/", "10"]),
    ("snake_case well-made", ["snake", "_", "case", "well", "-", "made"]),
    ("", []),
    ("   \n\t ", []),
])
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_tokenize_very_long_document() -> None:
    text = "not good. " * 50_000
    tokens = tokenize(text)
    assert len(tokens) == 150_000
    assert tokens[:3] == ["not", "good", "."] and tokens[-1] == "."


def test_vocab_order_caps_and_unknown_words() -> None:
    texts = ["b a a c", "a b d", "e"]  # counts: a 3, b 2, c d e 1
    vocab = build_vocab(texts, max_size=100, min_count=1)
    assert vocab.tokens == ("<pad>", "<unk>", "a", "b", "c", "d", "e")
    assert (vocab.PAD_ID, vocab.UNK_ID) == (0, 1)
    assert build_vocab(texts, max_size=4).tokens == ("<pad>", "<unk>", "a", "b")
    assert build_vocab(texts, min_count=2).tokens == ("<pad>", "<unk>", "a", "b")
    assert vocab.id("a") == 2 and vocab.id("zzz") == 1 and vocab.id("<pad>") == 0
    assert vocab.encode(["a", "zzz", "e"]) == [2, 1, 6]
    assert vocab.decode([2, 1, 0]) == ["a", "<unk>", "<pad>"]
    assert len(vocab) == 7 and "c" in vocab and "z" not in vocab
    assert build_vocab([["x", "y", "x"]]).tokens == ("<pad>", "<unk>", "x", "y")
    assert build_vocab([""]).tokens == ("<pad>", "<unk>")
    again = Vocab.from_json(vocab.to_json())
    assert again == vocab and again.id("d") == 5
    unicode_vocab = build_vocab(["caf\u00e9 \U0001f600 caf\u00e9"])
    assert Vocab.from_json(unicode_vocab.to_json()).id("caf\u00e9") == 2
    with pytest.raises(ValueError, match="format"):
        Vocab.from_json('{"tokens": ["<pad>", "<unk>"]}')
    with pytest.raises(ValueError, match="first two"):
        Vocab(("a", "<pad>", "<unk>"))
    with pytest.raises(ValueError, match="unique"):
        Vocab(("<pad>", "<unk>", "a", "a"))
    with pytest.raises(ValueError, match="max_size"):
        build_vocab(texts, max_size=1)


def test_encode_texts_pads_and_truncates_explicitly() -> None:
    vocab = build_vocab(["good bad not"])  # ids: bad 2, good 3, not 4 (ties alphabetical)
    enc = encode_texts(["not good", "", "bad weird good bad not good", "good"], vocab,
                       max_len=4)
    assert isinstance(enc, Encoded)
    assert enc.tokens.dtype == np.int32 and enc.lengths.dtype == np.int32
    np.testing.assert_array_equal(enc.tokens, [[4, 3, 0, 0], [0, 0, 0, 0], [2, 1, 3, 2],
                                               [3, 0, 0, 0]])
    np.testing.assert_array_equal(enc.lengths, [2, 0, 4, 1])
    assert enc.n_truncated == 1
    # Width is the longest kept length; never zero, even for only empty documents.
    assert encode_texts(["good", "not good"], vocab, max_len=100).tokens.shape == (2, 2)
    only_empty = encode_texts(["", ""], vocab, max_len=10)
    assert only_empty.tokens.shape == (2, 1) and only_empty.n_truncated == 0
    long = encode_texts(["good " * 10_000, "bad"], vocab, max_len=300)
    assert long.tokens.shape == (2, 300) and long.n_truncated == 1
    assert np.all(long.tokens[0] == 3) and long.lengths.tolist() == [300, 1]
    assert encode_texts([["good", "???"]], vocab, max_len=5).tokens.tolist() == [[3, 1]]
    with pytest.raises(ValueError, match="max_len"):
        encode_texts(["good"], vocab, max_len=0)
    # the last max_len tokens instead of the first: same lengths and count, other tokens
    last = encode_texts(["not good", "bad weird good bad not good"], vocab, max_len=4,
                        keep="last")
    np.testing.assert_array_equal(last.tokens, [[4, 3, 0, 0], [3, 2, 4, 3]])
    assert last.lengths.tolist() == [2, 4] and last.n_truncated == 1
    with pytest.raises(ValueError, match="keep"):
        encode_texts(["good"], vocab, max_len=4, keep="middle")


def _encoded(n: int, seed: int = 0) -> tuple[Encoded, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(20, 81, size=n)
    tokens = np.zeros((n, 80), dtype=np.int32)
    for i, length in enumerate(lengths):
        tokens[i, :length] = i + 2  # row-identifying content
    return Encoded(tokens, lengths.astype(np.int32), 0), rng.integers(0, 2, size=n)


def test_batches_cover_every_document_once_with_little_padding() -> None:
    enc, labels = _encoded(3_000)
    out = list(batches(enc, labels, batch_size=64, seed=1))
    rows = np.concatenate([b.rows for b in out])
    assert np.array_equal(np.sort(rows), np.arange(3_000))
    assert [b.tokens.shape[0] for b in out].count(64) == 3_000 // 64
    padded = sum(b.tokens.size for b in out)
    # Rounding widths up to multiples of 8 costs ~3.5 tokens per document of ~50.
    assert padded / enc.lengths.sum() - 1 < 0.1
    exact = list(batches(enc, labels, batch_size=64, seed=1, length_multiple=1))
    assert sum(b.tokens.size for b in exact) / enc.lengths.sum() - 1 < 0.02
    for b in out:
        assert b.tokens.dtype == np.int32 and b.labels.dtype == np.int32
        assert b.tokens.shape[1] % 8 == 0 or b.tokens.shape[1] == 80
        assert b.tokens.shape[1] >= b.lengths.max()
        np.testing.assert_array_equal(b.tokens[:, 0], b.rows + 2)
        np.testing.assert_array_equal(b.labels, labels[b.rows])
        np.testing.assert_array_equal(b.lengths, enc.lengths[b.rows])


def test_batches_are_deterministic_per_seed() -> None:
    enc, labels = _encoded(500)

    def order(seed: int) -> list[int]:
        return np.concatenate([b.rows for b in batches(enc, labels, 32, seed)]).tolist()

    assert order(3) == order(3)
    assert order(3) != order(4)
    # Evaluation order: sorted by length, stable.
    ordered = np.concatenate([b.rows for b in batches(enc, labels, 32, 0, shuffle=False)])
    assert np.array_equal(ordered, np.argsort(enc.lengths, kind="stable"))
    kept = list(batches(enc, labels, 32, 0, drop_last=True))
    assert len(kept) == 500 // 32 and all(b.tokens.shape[0] == 32 for b in kept)
    with pytest.raises(ValueError, match="labels"):
        next(batches(enc, labels[:10], 32, 0))
    empty_docs = encode_texts(["", ""], build_vocab(["a"]), max_len=5)
    (only,) = list(batches(empty_docs, [0, 1], 8, 0))
    assert only.tokens.shape == (2, 1) and only.lengths.tolist() == [0, 0]

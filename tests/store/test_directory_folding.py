"""The directory folds names a word at a time through a cache (issue 16.2): it must
find exactly what folding the whole text finds, whatever the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from counter_tui.domain.text import fold
from counter_tui.store.index import row_format
from counter_tui.store.index.row_format import fold_words

TRICKY = [
    "Nguyễn Văn An",
    "  NGUYỄN   thị  Ánh ",
    "Đặng-Đình.Đức",
    "a\u00a8b",  # a compatibility character that decomposes to a space and a mark
    " \u0301x",  # a lone combining mark after a space
    "ΟΔΟΣ Σ",  # final sigma
    "Thôn 3, xã Quảng Phú; tỉnh Đắk Lắk",
    "𝓐𝓑 ꭰ",
    "...",
    "",
]


def test_tricky_texts_fold_the_same_word_by_word():
    for text in TRICKY:
        assert fold_words(text) == fold(text), text
        assert fold_words(text) == fold(text), text  # from the cache this time


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_folds_the_same_word_by_word(text):
    assert fold_words(text) == fold(text)


def test_a_full_cache_starts_again_and_still_folds(monkeypatch):
    monkeypatch.setattr(row_format, "_FOLDED_MAX", 3)
    words = [f"Trần{i}" for i in range(10)]
    assert fold_words(" ".join(words)) == fold(" ".join(words))
    assert len(row_format._FOLDED) <= 3

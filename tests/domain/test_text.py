"""Folding: every search ignores case, diacritics and spacing."""

from hypothesis import given
from hypothesis import strategies as st

from counter_tui.domain.text import fold, matches_words, tokens


def test_three_spellings_of_one_name_fold_the_same():
    assert fold("Nguyễn Văn An") == fold("nguyen van an") == fold("NGUYEN  VAN   AN")
    assert fold("Nguyễn Văn An") == "nguyen van an"


def test_d_with_stroke_becomes_d():
    assert fold("Đặng Đình Đức") == "dang dinh duc"
    assert fold("đường Lê Lợi") == "duong le loi"


def test_punctuation_and_spaces_split_words():
    assert tokens("  Trần-Thị   Bích,Ngọc ") == ["tran", "thi", "bich", "ngoc"]
    assert fold("") == ""


def test_all_vietnamese_vowels_fold_to_ascii():
    vowels = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
    folded = fold(vowels + vowels.upper())
    assert folded.isascii()
    assert set(folded) <= set("aeiouy")


def test_last_word_is_a_prefix_while_typing():
    assert matches_words(["nguyen", "van", "a"], tokens("Nguyễn Văn An"))
    assert not matches_words(["nguyen", "va", "an"], tokens("Nguyễn Văn An"))
    assert not matches_words(["le"], tokens("Nguyễn Văn An"))


@given(st.text())
def test_fold_is_idempotent(s):
    assert fold(fold(s)) == fold(s)


@given(st.text())
def test_fold_has_no_marks_or_double_spaces(s):
    out = fold(s)
    assert "  " not in out
    assert out == out.strip()
    assert out == out.lower()


def test_pasted_text_becomes_one_line_without_controls():
    from counter_tui.domain.text import one_line, unprintable

    assert one_line("Lê\x00Văn\tTư\r\ndòng 2") == "Lê Văn Tư dòng 2"
    assert one_line("\x1b[31mĐỏ\x1b[0m") == "Đỏ"
    assert unprintable("Nguyễn Văn An, Số 1 Hàng Bạc") == ""
    assert unprintable("An 😀") == "😀"

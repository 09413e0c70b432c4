"""Dossier codes: the national shape, parsing, and no collisions between counters."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter_tui.domain.codes import CodeError, make_code, parse_code

AGENCY = "000.00.00.H56"


def test_shape_and_round_trip():
    code = make_code(AGENCY, date(2025, 7, 15), 3, 1)
    assert str(code) == "000.00.00.H56-250715-30001"
    assert parse_code(str(code)) == code
    assert parse_code("000.00.00.h56-250715-120042").slot == 12


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "code.shape"),
        ("H56-250715", "code.shape"),
        ("000.00.00.H56-251315-10001", "code.date"),
        ("000.00.00.H56-250715-00001", "code.slot"),
        ("000.00.00.H56-250715-10000", "code.full"),
    ],
)
def test_bad_codes_are_rejected(text, code):
    with pytest.raises(CodeError) as info:
        parse_code(text)
    assert info.value.code == code


def test_agency_shape_is_checked():
    with pytest.raises(CodeError):
        make_code("h56 bad", date(2025, 7, 15), 1, 1)


@given(
    day=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    a=st.tuples(st.integers(1, 99), st.integers(1, 9999)),
    b=st.tuples(st.integers(1, 99), st.integers(1, 9999)),
)
def test_codes_from_two_counters_never_collide(day, a, b):
    ca, cb = make_code(AGENCY, day, *a), make_code(AGENCY, day, *b)
    assert (str(ca) == str(cb)) == (a == b)
    assert parse_code(str(ca)) == ca

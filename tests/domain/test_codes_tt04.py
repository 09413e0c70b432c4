"""The TT 04/2025/TT-VPCP code shape beside the office shape: no collisions between counters
(nor between the two shapes), sequences past 9,999 a day, malformed codes refused with the
reason, and the shape chosen per procedure group from config."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter_tui.config_files import catalog_path, code_schemes_path
from counter_tui.domain.catalog import load_catalog
from counter_tui.domain.code_schemes import SchemeConfigError, load_code_schemes, schemes_from_dict
from counter_tui.domain.codes import (
    EXAMPLE_AGENCY,
    CodeError,
    Scheme,
    check_configured,
    make_code,
    make_national_code,
    parse_code,
)

AGENCY = "000.00.00.H56"
DAY = date(2026, 2, 2)
days = st.dates(min_value=date(2026, 1, 25), max_value=date(2099, 12, 31))
slots = st.integers(1, 99)
numbers = st.integers(1, 10**7)
owners = st.integers(0, 99).map(lambda n: f"{n:02d}")


def test_national_shape_and_round_trip():
    code = make_national_code(AGENCY, DAY, "38", 3, 1)
    assert str(code) == "000.00.00.H56-260202-3803001"
    assert parse_code(str(code)) == code
    assert parse_code(str(code)).scheme is Scheme.NATIONAL


def test_the_sequence_grows_past_9999_a_day_and_never_wraps():
    big = make_national_code(AGENCY, DAY, "38", 3, 12_345)
    assert str(big) == "000.00.00.H56-260202-380312345"
    assert parse_code(str(big)).number == 12_345
    assert str(make_national_code(AGENCY, DAY, "38", 3, 1_000_000)).endswith("-38031000000")


@given(days, owners, slots, slots, numbers, numbers)
def test_two_counters_never_collide_in_the_national_shape(day, owner, a, b, n, m):
    if a == b:
        return
    assert str(make_national_code(AGENCY, day, owner, a, n)) != str(
        make_national_code(AGENCY, day, owner, b, m)
    )


@given(days, owners, slots, numbers)
def test_every_national_code_reads_back_as_itself(day, owner, slot, n):
    code = make_national_code(AGENCY, day, owner, slot, n)
    assert parse_code(str(code)) == code


@given(days, owners, slots, slots, numbers, st.integers(1, 9999))
def test_the_two_shapes_never_produce_the_same_code(day, owner, a, b, n, m):
    national = str(make_national_code(AGENCY, day, owner, a, n))
    office = str(make_code(AGENCY, day, b, m))
    assert national != office
    assert parse_code(office).scheme is Scheme.OFFICE


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("000.00.00.H56-260202-38030001", "code.padding", "chỉ đệm số 0"),
        ("000.00.00.H56-260202-3800001", "code.slot", "Số quầy"),
        ("000.00.00.H56-260202-3803000", "code.number", "Số thứ tự 0"),
        ("000.00.00.H56-260230-3803001", "code.date", "không hợp lệ"),
        ("000.00.00.H56-260202-38a3001", "code.shape", "không đúng dạng"),
        ("000..H56-260202-3803001", "code.agency", "Mã định danh cơ quan"),
        ("000.00.00.H56-260202-03001", "code.slot", "không bắt đầu bằng 0"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(text, code, words):
    with pytest.raises(CodeError) as info:
        parse_code(text)
    assert info.value.code == code
    assert words in info.value.msg.vi


def test_owner_must_be_two_digits():
    with pytest.raises(CodeError, match="2 chữ số"):
        make_national_code(AGENCY, DAY, "3", 1, 1)


def test_no_codes_under_the_example_agency_and_the_message_says_what_to_set():
    with pytest.raises(CodeError) as info:
        check_configured(EXAMPLE_AGENCY)
    assert "[counter] office" in info.value.msg.vi
    check_configured(AGENCY)  # a configured office passes


def test_the_scheme_is_chosen_per_procedure_group():
    catalog = load_catalog(catalog_path())
    certify = catalog.get("2.000815", DAY)
    birth = catalog.get("1.001193", DAY)
    assert certify is not None and birth is not None
    schemes = schemes_from_dict(
        {
            "groups": [
                {
                    "name": "Dịch vụ công toàn quốc (thử)",
                    "scheme": "tt04-2025",
                    "owner": "38",
                    "procedures": ["2.000815"],
                    "source": "Thông tư 04/2025/TT-VPCP",
                }
            ]
        }
    )
    assert str(schemes.code_for(certify, AGENCY, DAY, 3, 7)) == "000.00.00.H56-260202-3803007"
    assert str(schemes.code_for(birth, AGENCY, DAY, 3, 7)) == "000.00.00.H56-260202-30007"
    # The shipped file has no group yet: every procedure takes the office shape.
    assert load_code_schemes(code_schemes_path()).groups == ()


@pytest.mark.parametrize(
    "group",
    [
        {"scheme": "tt04-2025", "owner": "38", "procedures": []},  # no source
        {"scheme": "tt04-2025", "owner": "3", "source": "x"},  # AA not two digits
        {"scheme": "national", "source": "x"},  # no such scheme
    ],
)
def test_a_bad_group_is_refused_naming_it(group):
    with pytest.raises(SchemeConfigError, match=r"\[\[groups\]\] #1"):
        schemes_from_dict({"groups": [group]}, "code-schemes.toml")

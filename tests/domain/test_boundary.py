"""The province's list of procedures received regardless of boundary: effective-dated,
each entry with its source, refused with the place when malformed."""

from datetime import date

import pytest

from counter_tui.config_files import boundary_list_path
from counter_tui.domain.boundary import BoundaryListError, boundary_from_dict, load_boundary_list

ENTRY = {
    "code": "1.012345",
    "agency": "000.00.00.H40",
    "name": "Sở Nội vụ tỉnh Nghệ An",
    "valid_from": date(2025, 11, 20),
    "valid_to": date(2026, 12, 31),
    "source": "Quyết định số 3783/QĐ-UBND ngày 20/11/2025 của UBND tỉnh Nghệ An",
}


def test_an_entry_applies_only_while_in_force_and_to_provincial_variants():
    lst = boundary_from_dict({"procedures": [ENTRY]})
    assert lst.agencies_for("1.012345", date(2025, 11, 19)) == []
    [a] = lst.agencies_for("1.012345.000.00.00.H40", date(2026, 3, 1))
    assert (a.agency, a.name) == ("000.00.00.H40", "Sở Nội vụ tỉnh Nghệ An")
    assert lst.agencies_for("1.012345", date(2027, 1, 1)) == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"source": ""}, "source"),
        ({"agency": "000.00.00.H-40"}, "Mã định danh"),
        ({"valid_from": "x"}, "valid_from"),
    ],
)
def test_a_malformed_entry_is_refused_naming_it(change, words):
    with pytest.raises(BoundaryListError, match=words) as info:
        boundary_from_dict({"procedures": [{**ENTRY, **change}]}, "boundary-procedures.toml")
    assert "[[procedures]] #1" in info.value.msg.vi


def test_the_shipped_list_is_empty_until_a_province_fills_it():
    assert load_boundary_list(boundary_list_path()).entries == ()

"""The procedure catalog: the shipped file, the loader's errors, versions and search."""

import json
from datetime import date

import pytest

from counter_tui.config_files import catalog_path
from counter_tui.domain.catalog import (
    Catalog,
    CatalogError,
    TimeUnit,
    catalog_from_dict,
    load_catalog,
    procedure_to_dict,
)

ON = date(2026, 11, 28)
SHARED_CODES = {
    "1.001193",
    "1.000894",
    "1.000656",
    "1.004873",
    "1.004884",
    "1.004746",
    "1.004837",
    "1.004845",
    "1.001022",
    "1.004859",
    "2.000635",
    "2.000815",
    "2.000884",
    "2.000908",
    "1.001612",
    "1.001699",
    "1.004222",
    "1.004194",
    "1.010038",
    "1.003677",
    "1.010041",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(catalog_path())


def test_shipped_catalog_has_the_21_procedures(catalog):
    assert set(catalog.codes()) >= SHARED_CODES
    birth = catalog.get("1.001193", ON)
    assert birth.name == "Đăng ký khai sinh"
    assert birth.processing.unit is TimeUnit.SAME_WORKING_DAY
    assert birth.processing.cutoff.hour == 15
    assert any(d.required for d in birth.documents)
    assert catalog.get("1.004873", ON).processing.value == 3


def _raw(**changes):
    doc = json.loads(catalog_path().read_text(encoding="utf-8"))
    entry = doc["procedures"][3]
    for key, value in changes.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    return doc, entry["code"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "1.00119"}, "code"),
        ({"valid_from": "2025-13-01"}, "valid_from"),
        ({"processing": {"value": 3, "unit": "weeks"}}, "processing.unit"),
        ({"processing": {"value": -1, "unit": "working_days"}}, "processing.value"),
        ({"processing": {"value": "3", "unit": "working_days"}}, "value"),
        ({"fee": {"amount": -5, "note": ""}}, "fee.amount"),
        (
            {"documents": [{"name": "Tờ khai", "copy": "scan", "required": True}]},
            "documents[0].copy",
        ),
        ({"documents": [{"name": "", "copy": "copy", "required": True}]}, "documents[0].name"),
        ({"name": None}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_mistake_is_rejected_with_file_entry_and_field(tmp_path, change, field):
    doc, _code = _raw(**change)
    bad = tmp_path / "procedures.json"
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(bad)
    err = info.value
    assert err.path == str(bad)
    assert err.entry.startswith("#4")
    assert err.field_name == field
    assert str(bad) in err.text("vi") and field in err.text("vi")


def test_broken_json_names_the_line(tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text('{"procedures": [\n{"code": 1,\n]}', encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(bad)
    assert "line 3" in info.value.entry


def test_dossier_keeps_the_rule_version_of_its_receipt_date(catalog):
    base = procedure_to_dict(catalog.get("1.004873", ON))
    newer = dict(base, valid_from="2027-01-01", processing={"value": 2, "unit": "working_days"})
    cat = catalog_from_dict({"procedures": [base, newer]})
    assert cat.get("1.004873", date(2026, 12, 31)).processing.value == 3
    assert cat.get("1.004873", date(2027, 1, 1)).processing.value == 2
    assert cat.get("1.004873", date(2020, 1, 1)) is None
    assert cat.version("1.004873@2027-01-01").processing.value == 2


def test_search_by_code_prefix_and_by_folded_words(catalog):
    assert next(h.procedure.code for h in catalog.search("1.001193", ON)) == "1.001193"
    assert {h.procedure.code for h in catalog.search("2.000", ON)} == {
        "2.000635",
        "2.000815",
        "2.000884",
        "2.000908",
    }
    first = catalog.search("dang ky khai sinh", ON)[0].procedure
    assert first.code == "1.001193"
    assert catalog.search("Đăng ký khai sinh", ON)[0].procedure.code == "1.001193"
    typing = [h.procedure.code for h in catalog.search("ket h", ON)]
    assert "1.000894" in typing and "1.001193" not in typing
    assert catalog.search("zzz", ON) == []


def test_exact_start_of_name_ranks_above_words_elsewhere(catalog):
    hits = catalog.search("dang ky khai sinh", ON)
    # "Đăng ký khai sinh" starts with the query; "Đăng ký lại khai sinh" only has its words
    assert [h.procedure.code for h in hits[:2]] == ["1.001193", "1.004884"]
    assert hits[0].score > hits[1].score
    # two names that both start with the query: the shorter first
    assert [h.procedure.code for h in catalog.search("chung thuc", ON)] == ["2.000884", "2.000815"]

"""Form parsing in the domain: a value, or every field at fault with a message to place."""

from datetime import date, datetime

import pytest

from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.dossier import AUTHORISED
from counter_tui.domain.forms import (
    ApplicantForm,
    ApplicantInput,
    HandOverForm,
    fee_words,
    parse_applicant,
    parse_day,
    parse_hand_over,
    parse_new_due,
    parse_period,
)
from counter_tui.domain.messages import DomainError

TODAY = date(2026, 11, 25)


def test_a_good_form_gives_the_applicant_and_the_authorised_submitter():
    got = parse_applicant(
        ApplicantForm(
            citizen_id="079 185 000 001",
            full_name="  Trần   Thị Bình ",
            birth_date="15/04/1985",
            phone="091 234 5678",
            address=" Thôn Đông ",
            submitter="Lê Văn Tư",
            procedure_code="1.004873",
        ),
        TODAY,
    )
    assert isinstance(got, ApplicantInput)
    a = got.applicant
    assert (a.full_name, a.citizen_id, a.birth_date, a.phone, a.address) == (
        "Trần Thị Bình",
        "079185000001",
        "1985-04-15",
        "0912345678",
        "Thôn Đông",
    )
    assert got.submitter is not None and got.submitter.relation == AUTHORISED == "được ủy quyền"


def test_every_bad_field_is_named_with_its_own_message():
    got = parse_applicant(
        ApplicantForm(citizen_id="12345", birth_date="30/02/2000", phone="12ab"), TODAY
    )
    assert isinstance(got, list)
    assert [e.field for e in got] == ["citizen_id", "full_name", "birth_date", "phone", "procedure"]
    assert [e.label.vi for e in got] == ["Số CCCD", "Họ tên", "Ngày sinh", "Điện thoại", "Thủ tục"]
    assert "Cần nhập họ tên" in got[1].msg.vi and "dd/mm/yyyy" in got[2].msg.vi
    assert "10-11 số" in got[3].msg.vi and got[3].msg.en.startswith("Invalid phone")


def test_a_birth_date_in_the_future_is_refused_and_an_old_cmnd_is_kept_apart():
    got = parse_applicant(ApplicantForm(full_name="A", birth_date="26/11/2026"), TODAY)
    assert isinstance(got, list) and [e.field for e in got] == ["birth_date", "procedure"]
    ok = parse_applicant(
        ApplicantForm(citizen_id="012345678", full_name="A", procedure_code="x"), TODAY
    )
    assert isinstance(ok, ApplicantInput)
    assert (ok.applicant.citizen_id, ok.applicant.legacy_id) == (None, "012345678")


def test_hand_over_fee_is_digits_with_thousands_dots_and_the_id_is_normalised():
    got = parse_hand_over(HandOverForm(" Nguyễn An ", "001 203 012 345", "authorised", "8.000"))
    assert got == {
        "receiver_name": "Nguyễn An",
        "receiver_id": "001203012345",
        "relation": "authorised",
        "fee": 8000,
    }
    bad = parse_hand_over(HandOverForm("A", fee="tám nghìn"))
    assert isinstance(bad, list) and bad[0].field == "fee" and "chỉ chữ số" in bad[0].msg.vi


def test_fee_words_and_dates():
    assert (fee_words(0), fee_words(None), fee_words(15000)) == (
        "Miễn phí",
        "theo quy định",
        "15.000 đ",
    )
    assert parse_day("5-1-2026") == date(2026, 1, 5)
    with pytest.raises(DomainError):
        parse_day("2026-01-05")
    with pytest.raises(DomainError) as exc:
        parse_period("10/11/2026", "01/11/2026")
    assert exc.value.field == "end"


def test_a_new_due_date_is_a_later_working_day_keeping_the_hour():
    cal = WorkCalendar()
    current = datetime(2026, 11, 27, 9, 0)
    assert parse_new_due("30/11/2026", current, cal) == datetime(2026, 11, 30, 9, 0)
    for text in ("29/11/2026", "26/11/2026", "ngày mai", "30/11/2026 16:00 x"):
        with pytest.raises(DomainError):
            parse_new_due(text, current, cal)


def test_dates_as_clerks_type_them_and_long_or_unprintable_text_refused():
    from counter_tui.domain.forms import (
        ApplicantForm,
        HandOverForm,
        parse_applicant,
        parse_hand_over,
    )

    assert parse_day("15081990") == date(1990, 8, 15)
    assert parse_day(" 15 08 1990 ") == date(1990, 8, 15)
    today = date(2026, 11, 25)
    form = ApplicantForm(
        full_name="Lê Thị 😀", address="x" * 201, submitter="", procedure_code="1.004873"
    )
    errors = {e.field: e.msg.vi for e in parse_applicant(form, today)}
    assert "😀" in errors["full_name"] and "tối đa 200" in errors["address"]
    bad = parse_hand_over(HandOverForm("A", "12ab56789", "authorised", "0"), today)
    assert [e.field for e in bad] == ["receiver_id"]
    ok = parse_hand_over(HandOverForm("A", "001203012345", "authorised", "0"), today)
    assert ok["receiver_id"] == "001203012345"

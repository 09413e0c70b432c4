"""What a clerk types into a form, checked: a value, or the fields at fault with messages.

Screens hold no rules: they hand the typed text to a parser here and place
each :class:`FieldError` beside its field. The same checks serve any other
front end (a web form, an import) without a Textual import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.citizen_id import IdError, normalize, parse_any_id
from counter_tui.domain.dossier import (
    AUTHORISED,
    FEE_METHOD_NAMES,
    FEE_METHODS,
    Applicant,
    FeePaid,
    Submitter,
)
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.text import unprintable

PHONE_RE = re.compile(r"^(0|\+84)\d{8,10}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FEE_METHOD_VI = {k: m.vi for k, m in FEE_METHOD_NAMES.items()}
# The longest value each free-text field takes: what fits the slips' lines. A longer one
# is refused with the limit named, never cut (a cut address printed half a word).
LIMITS = {"full_name": 100, "address": 200, "submitter": 100}


def text_problem(value: str, limit: int, label: Msg) -> Msg | None:
    """Why a free-text value cannot be stored as typed: too long, or not printable."""
    if len(value.strip()) > limit:
        return Msg(
            f"{label.vi} dài {len(value.strip())} ký tự, tối đa {limit}: hãy rút gọn.",
            f"{label.en} is {len(value.strip())} characters long, at most {limit}: shorten it.",
        )
    odd = unprintable(value)
    if odd:
        return Msg(
            f"{label.vi} có ký tự không in được trên phiếu ({odd}): hãy bỏ đi.",
            f"{label.en} has characters a slip cannot print ({odd}): remove them.",
        )
    return None


@dataclass(frozen=True)
class FieldError:
    """One field at fault: its id, its name for a summary line, and what is wrong."""

    field: str
    label: Msg
    msg: Msg


def parse_day(text: str) -> date:
    """A date typed as dd/mm/yyyy (or d/m/yyyy, with - or . or spaces too), or as the
    eight digits ddmmyyyy clerks type without separators."""
    cleaned = " ".join(text.split()).replace("-", "/").replace(".", "/").replace(" ", "/")
    if len(cleaned) == 8 and cleaned.isdigit():
        cleaned = f"{cleaned[:2]}/{cleaned[2:4]}/{cleaned[4:]}"
    try:
        return datetime.strptime(cleaned, "%d/%m/%Y").date()
    except ValueError as exc:
        raise DomainError(
            "date.format",
            Msg(f"Ngày '{text}' không hợp lệ (gõ dạng 25/11/2026).", f"Invalid date '{text}'."),
        ) from exc


def parse_period(start: str, end: str) -> tuple[date, date]:
    """A report period typed as two dates; the end may not come before the start."""
    first, last = parse_day(start), parse_day(end)
    if last < first:
        raise DomainError(
            "period.order",
            Msg("'Đến ngày' phải sau 'Từ ngày'.", "'To' must not be before 'From'."),
            "end",
        )
    return first, last


def fee_words(amount: int | None) -> str:
    """A procedure's fee as the counter says it: free, an amount, or "as regulated"."""
    if amount == 0:
        return "Miễn phí"
    return f"{amount:,} đ".replace(",", ".") if amount else "theo quy định"


def _id_error(text: str, today: date, field_id: str, label: Msg) -> FieldError | None:
    digits = normalize(text)
    if not digits:
        return None
    try:
        parse_any_id(digits, today=today)
    except IdError as exc:
        return FieldError(field_id, label, exc.msg)
    return None


def _phone_error(text: str, field_id: str, label: Msg) -> FieldError | None:
    phone = text.strip().replace(" ", "")
    if phone and not PHONE_RE.match(phone):
        return FieldError(
            field_id,
            label,
            Msg(
                "Số điện thoại không hợp lệ (10-11 số, bắt đầu bằng 0 hoặc +84).",
                "Invalid phone number (10-11 digits, starting 0 or +84).",
            ),
        )
    return None


def _email_error(text: str, field_id: str, label: Msg) -> FieldError | None:
    if text.strip() and not EMAIL_RE.match(text.strip()):
        return FieldError(
            field_id,
            label,
            Msg("Email không đúng dạng (vd ten@example.vn).", "Invalid email (e.g. a@b.vn)."),
        )
    return None


# --- receiving: the applicant ---------------------------------------------------------------


@dataclass(frozen=True)
class ApplicantForm:
    """The receive form's fields as typed."""

    citizen_id: str = ""
    full_name: str = ""
    birth_date: str = ""
    phone: str = ""
    address: str = ""
    submitter: str = ""
    procedure_code: str = ""  # empty until one is picked
    gender: str | None = None  # from a scanned card
    # TT 03/2025 form 01 (issue 13): the owner's email; for a submitter acting for the owner,
    # their ID number, phone, address, email and the authorisation paper.
    email: str = ""
    submitter_id: str = ""
    submitter_phone: str = ""
    submitter_address: str = ""
    submitter_email: str = ""
    authorisation: str = ""


@dataclass(frozen=True)
class ApplicantInput:
    applicant: Applicant
    submitter: Submitter | None
    procedure_code: str


def parse_applicant(form: ApplicantForm, today: date) -> ApplicantInput | list[FieldError]:
    errors: list[FieldError] = []
    cid = legacy = None
    digits = normalize(form.citizen_id)
    if digits:
        try:
            parse_any_id(digits, today=today)
        except IdError as exc:
            errors.append(FieldError("citizen_id", Msg("Số CCCD", "Citizen ID"), exc.msg))
        else:
            if len(digits) == 12:
                cid = digits
            else:
                legacy = digits
    name = " ".join(form.full_name.split())
    if not name:
        errors.append(
            FieldError(
                "full_name",
                Msg("Họ tên", "Full name"),
                Msg("Cần nhập họ tên chủ hồ sơ.", "Enter the owner's full name."),
            )
        )
    birth = None
    if form.birth_date.strip():
        try:
            birth = parse_day(form.birth_date)
            if birth > today:
                raise ValueError(birth)
        except (DomainError, ValueError):
            errors.append(
                FieldError(
                    "birth_date",
                    Msg("Ngày sinh", "Birth date"),
                    Msg(
                        "Ngày sinh phải dạng dd/mm/yyyy, không ở tương lai.",
                        "Birth date must be dd/mm/yyyy, not in the future.",
                    ),
                )
            )
    phone = form.phone.strip().replace(" ", "")
    if phone and not PHONE_RE.match(phone):
        errors.append(
            FieldError(
                "phone",
                Msg("Điện thoại", "Phone"),
                Msg(
                    "Số điện thoại không hợp lệ (10-11 số, bắt đầu bằng 0 hoặc +84).",
                    "Invalid phone number (10-11 digits, starting 0 or +84).",
                ),
            )
        )
    for key, value, label in (
        ("full_name", name, Msg("Họ tên", "Full name")),
        ("address", form.address, Msg("Địa chỉ", "Address")),
        ("submitter", form.submitter, Msg("Người nộp", "Submitter")),
    ):
        problem = text_problem(value, LIMITS[key], label)
        if problem is not None:
            errors.append(FieldError(key, label, problem))
    if not form.procedure_code:
        errors.append(
            FieldError(
                "procedure",
                Msg("Thủ tục", "Procedure"),
                Msg("Chưa chọn thủ tục (gõ rồi Enter).", "No procedure chosen (type, then Enter)."),
            )
        )
    errors += [
        e
        for e in (
            _email_error(form.email, "email", Msg("Email", "Email")),
            _id_error(
                form.submitter_id,
                today,
                "submitter_id",
                Msg("Số định danh người nộp", "Submitter's ID"),
            ),
            _phone_error(
                form.submitter_phone,
                "submitter_phone",
                Msg("Điện thoại người nộp", "Submitter's phone"),
            ),
            _email_error(
                form.submitter_email, "submitter_email", Msg("Email người nộp", "Submitter's email")
            ),
        )
        if e is not None
    ]
    sub_name = " ".join(form.submitter.split())
    extras = (form.submitter_id, form.submitter_phone, form.submitter_address, form.authorisation)
    if not sub_name and any(x.strip() for x in extras):
        errors.append(
            FieldError(
                "submitter",
                Msg("Người nộp thay", "Submitter"),
                Msg(
                    "Đã nhập thông tin người nộp thay: cần cả họ tên người nộp.",
                    "Submitter details given: enter the submitter's name too.",
                ),
            )
        )
    if errors:
        return errors
    applicant = Applicant(
        full_name=name,
        citizen_id=cid,
        legacy_id=legacy,
        birth_date=birth.isoformat() if birth else None,
        gender=form.gender,
        address=form.address.strip(),
        phone=phone,
        email=form.email.strip(),
    )
    submitter = (
        Submitter(
            sub_name,
            citizen_id=normalize(form.submitter_id) or None,
            relation=AUTHORISED,
            phone=form.submitter_phone.strip().replace(" ", ""),
            address=form.submitter_address.strip(),
            email=form.submitter_email.strip(),
            authorisation=" ".join(form.authorisation.split()),
        )
        if sub_name
        else None
    )
    return ApplicantInput(applicant, submitter, form.procedure_code)


# --- a fee paid at receipt ------------------------------------------------------------------


@dataclass(frozen=True)
class FeeForm:
    """What the clerk types when the fee is collected at receipt."""

    method: str = ""  # "" = not collected at receipt
    receipt_no: str = ""


def parse_fee_at_receipt(form: FeeForm, amount: int | None) -> FeePaid | list[FieldError] | None:
    """The fee collected now (``amount`` comes from the catalog entry's version), or ``None``."""
    if not form.method:
        if form.receipt_no.strip():
            return [
                FieldError(
                    "fee_method",
                    Msg("Hình thức nộp phí", "Fee method"),
                    Msg(
                        "Đã ghi số biên lai: chọn hình thức nộp phí.",
                        "A receipt number was given: choose how the fee was paid.",
                    ),
                )
            ]
        return None
    errors: list[FieldError] = []
    if form.method not in FEE_METHODS:
        errors.append(
            FieldError(
                "fee_method",
                Msg("Hình thức nộp phí", "Fee method"),
                Msg("Hình thức nộp phí không có.", "Unknown fee method."),
            )
        )
    if not amount:
        errors.append(
            FieldError(
                "fee_method",
                Msg("Hình thức nộp phí", "Fee method"),
                Msg(
                    "Thủ tục này không có mức phí trong danh mục: không thu phí khi tiếp nhận.",
                    "The catalog has no fee amount for this procedure.",
                ),
            )
        )
    receipt = " ".join(form.receipt_no.split())
    if not receipt:
        errors.append(
            FieldError(
                "fee_receipt",
                Msg("Số biên lai", "Receipt number"),
                Msg("Cần ghi số biên lai thu phí, lệ phí.", "Enter the fee receipt number."),
            )
        )
    if errors:
        return errors
    assert amount is not None
    return FeePaid(amount, form.method, receipt)


# --- handing over: the receiver -------------------------------------------------------------


@dataclass(frozen=True)
class HandOverForm:
    receiver_name: str = ""
    receiver_id: str = ""
    relation: str = "owner"  # owner | authorised
    fee: str = "0"
    # An authorised receiver (TT 03/2025): address, phone and the authorisation paper.
    receiver_address: str = ""
    receiver_phone: str = ""
    authorisation: str = ""


def parse_hand_over(
    form: HandOverForm, today: date | None = None
) -> dict[str, Any] | list[FieldError]:
    """The hand-over action's data; the state machine checks the rest (name, ID if authorised).

    A receiver's ID, when given, is a citizen ID (12 digits) or an old CMND (9 digits),
    checked as on the receive form when ``today`` is known."""
    errors: list[FieldError] = []
    receiver_id = normalize(form.receiver_id)
    if receiver_id:
        label = Msg("Số giấy tờ người nhận", "Receiver's ID")
        if not receiver_id.isdigit() or len(receiver_id) not in (9, 12):
            errors.append(
                FieldError(
                    "receiver_id",
                    label,
                    Msg(
                        "Số CCCD (12 số) hoặc CMND (9 số) của người nhận: chỉ gồm chữ số.",
                        "The receiver's citizen ID (12 digits) or CMND (9 digits): digits only.",
                    ),
                )
            )
        elif today is not None:
            try:
                parse_any_id(receiver_id, today=today)
            except IdError as exc:
                errors.append(FieldError("receiver_id", label, exc.msg))
    fee_text = form.fee.strip().replace(".", "") or "0"
    if not fee_text.isdigit():
        errors.append(
            FieldError(
                "fee",
                Msg("Phí, lệ phí", "Fee"),
                Msg(
                    "Phí, lệ phí phải là số tiền (chỉ chữ số).",
                    "The fee must be an amount (digits only).",
                ),
            )
        )
    if form.relation != "owner":
        bad_phone = _phone_error(
            form.receiver_phone, "receiver_phone", Msg("Điện thoại người nhận", "Receiver's phone")
        )
        if bad_phone:
            errors.append(bad_phone)
    if errors:
        return errors
    data: dict[str, Any] = {
        "receiver_name": form.receiver_name.strip(),
        "receiver_id": receiver_id,
        "relation": form.relation,
        "fee": int(fee_text),
    }
    if form.relation != "owner":
        for key in ("receiver_address", "receiver_phone", "authorisation"):
            value = " ".join(getattr(form, key).split())
            if value:
                data[key] = value
    return data


# --- an apology's new date ------------------------------------------------------------------


def parse_new_due(text: str, current: datetime | None, calendar: WorkCalendar) -> datetime:
    """The new return date typed as dd/mm/yyyy [hh:mm]: a working day after the due date.
    Without a time, the hour of the current appointment is kept."""
    parts = text.strip().replace("-", "/").replace(".", "/").split()

    def bad(vi: str, en: str) -> DomainError:
        return DomainError("reschedule.date", Msg(vi, en), "new_due")

    try:
        day = datetime.strptime(parts[0], "%d/%m/%Y").date()
        hour: time = (
            datetime.strptime(parts[1], "%H:%M").time()
            if len(parts) > 1
            else (current.time() if current else calendar.hours.closing)
        )
    except (ValueError, IndexError) as exc:
        raise bad(
            f"Ngày hẹn mới '{text}' không hợp lệ (gõ dạng 05/12/2026 hoặc 05/12/2026 16:00).",
            f"Invalid new date '{text}' (e.g. 05/12/2026 16:00).",
        ) from exc
    if len(parts) > 2:
        raise bad("Chỉ gõ ngày và giờ.", "Only a date and a time.")
    if not calendar.is_working_day(day):
        raise bad(
            f"Ngày {day:%d/%m/%Y} không phải ngày làm việc.",
            f"{day:%d/%m/%Y} is not a working day.",
        )
    new_due = datetime.combine(day, hour)
    if current is not None and new_due <= current:
        raise bad(
            f"Ngày hẹn mới phải sau hẹn hiện tại ({current:%H:%M %d/%m/%Y}).",
            "The new date must be after the current appointment.",
        )
    return new_due

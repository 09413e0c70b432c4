"""Attaching scans through the use cases: at receipt, later, at hand-over; refusals."""

from __future__ import annotations

import pytest

from counter_tui.domain.dossier import Applicant
from counter_tui.domain.messages import DomainError
from counter_tui.domain.status import Action
from tests.support.scans import jpeg_bytes, pdf_bytes, write


def _draft(svc):
    d = svc.desk.draft("1.004873", Applicant("Nguyễn Văn An", citizen_id="001203012345"))
    for item in d.documents:
        item.received = True
    return d


def test_receipt_with_a_scan_per_required_item_saves_files_and_dossier_together(svc, tmp_path):
    d = _draft(svc)
    scans = svc.scans
    for i, item in enumerate(d.documents):
        if item.required:
            p = scans.prepare(write(tmp_path / "scan", f"doc{i}.pdf", pdf_bytes(i + 1)))
            scans.add_to_draft(d, i, p)
    assert scans.lacking(d) == []
    saved = svc.desk.receive(d)
    files = scans.files_of(saved)
    assert len(files) == sum(1 for x in d.documents if x.required)
    assert files[0].description.startswith("PDF, 1 trang")
    assert {s for s, _ in svc.store.files.pending_files()} == {f.sha for f in files}
    # The receive operation carries the entries to the centre.
    op = svc.store.outbox.pending()[-1]
    assert op["doc"]["documents"][0]["files"][0]["sha"] == files[0].sha


def test_a_required_item_without_a_scan_needs_a_reason_kept_in_history(svc):
    d = _draft(svc)
    with pytest.raises(DomainError) as info:
        svc.desk.receive(d)
    assert info.value.code == "scan.reason" and "chưa số hóa" in info.value.msg.vi
    assert svc.desk.dossier_count() == 0  # nothing saved
    saved = svc.desk.receive(d, scan_reason="Máy quét hỏng")
    assert saved.events[-1].data["digitisation"]["reason"] == "Máy quét hỏng"
    lacking = [x for x in saved.documents if x.required and x.copy != "present"]
    assert all(x.digitisation["missing_reason"] == "Máy quét hỏng" for x in lacking)


def test_items_shown_need_no_scan(svc):
    d = _draft(svc)
    for i, item in enumerate(d.documents):
        if item.required:
            svc.scans.mark_exempt(d, i, "shown")
    assert svc.scans.lacking(d) == []
    assert svc.desk.receive(d).status == 2


def test_attach_later_and_at_hand_over_each_an_event_with_clerk_and_time(svc, tmp_path, clock):
    d = svc.desk.receive(_draft(svc), scan_reason="Máy quét hỏng")
    p = svc.scans.prepare(write(tmp_path, "cccd.jpg", jpeg_bytes(1200, 800)))
    after = svc.scans.attach(d.uid, "1", [p])
    ev = after.events[-1]
    assert (ev.action, ev.actor, ev.at) == ("attach", "canbo01", clock.now.isoformat())
    assert after.documents[0].files[0]["width"] == 1200
    svc.desk.act(d.uid, Action.RESULT_READY)
    svc.desk.act(d.uid, Action.HAND_OVER, data={"receiver_name": "Nguyễn Văn An"})
    r = svc.scans.prepare(write(tmp_path, "ket-qua.pdf", pdf_bytes(2)))
    done = svc.scans.attach(d.uid, "result", [r])
    assert done.result_files[0]["role"] == "result" and done.status == 10
    assert [f.item for f in svc.scans.files_of(done)] == ["1", "result"]
    ops = svc.store.outbox.pending()
    assert ops[-1]["action"] == "attach" and ops[-1]["data"]["files"][0]["sha"] == r.sha


def test_a_wrong_file_is_refused_and_nothing_is_kept(svc, tmp_path):
    bad = write(tmp_path, "to-khai.pdf", jpeg_bytes())
    with pytest.raises(DomainError) as info:
        svc.scans.prepare(bad)
    assert "mang đuôi PDF" in info.value.msg.vi
    assert not any(p.is_file() for p in (tmp_path / "cache" / "files").rglob("*"))
    with pytest.raises(DomainError) as info:
        svc.scans.prepare(tmp_path / "khong-co.pdf")
    assert "Không mở được" in info.value.msg.vi


def test_scanner_folder_lists_new_files_newest_first(svc, tmp_path):
    import os

    folder = tmp_path / "scan"
    old = write(folder, "old.pdf", pdf_bytes())
    os.utime(old, (1_000, 1_000))
    a = write(folder, "a.pdf", pdf_bytes())
    b = write(folder, "b.png", b"x")
    write(folder, "notes.txt", b"x")
    os.utime(a, (5_000, 5_000))
    os.utime(b, (6_000, 6_000))
    assert [f.name for f in svc.scans.scanner_files(since=2_000)] == ["b.png", "a.pdf"]


def test_the_viewer_command_opens_a_checked_copy(svc, tmp_path):
    # The viewer itself is not launched in tests: we check the command that would run.
    d = svc.desk.receive(_draft(svc), scan_reason="x")
    data = pdf_bytes(1)
    p = svc.scans.prepare(write(tmp_path, "a.pdf", data))
    svc.scans.attach(d.uid, "1", [p])
    cmd = svc.scans.viewer_command(p.sha, "a.pdf")
    assert cmd[0] in ("xdg-open", "open", "cmd")
    from pathlib import Path

    assert Path(cmd[-1]).read_bytes() == data and Path(cmd[-1]).name == "a.pdf"


@pytest.mark.parametrize("name", ["..", "a\x00b.pdf"])
def test_a_scan_whose_synced_name_is_no_file_name_still_opens(svc, tmp_path, name):
    # The entry's name comes from whichever counter attached the scan (synced, checked only
    # as a string): opening it must not write over the temp folder's parent or fail in the
    # screen; the copy is named by its hash instead.
    from pathlib import Path

    d = svc.desk.receive(_draft(svc), scan_reason="x")
    data = pdf_bytes(1)
    p = svc.scans.prepare(write(tmp_path, "a.pdf", data))
    svc.scans.attach(d.uid, "1", [p])
    cmd = svc.scans.viewer_command(p.sha, name)
    assert Path(cmd[-1]).read_bytes() == data


def test_a_failed_attach_keeps_the_file_a_form_still_holds(svc, tmp_path):
    # The same page is taken in the receive form (F2, not saved yet) and, meanwhile, for a
    # dossier opened from F3 whose attach fails: the form's scan must survive, or the
    # dossier saved next names a file the cache no longer has.
    data = pdf_bytes(2)
    path = write(tmp_path / "scan", "don.pdf", data)
    d = _draft(svc)
    held = svc.scans.prepare(path)
    svc.scans.add_to_draft(d, 0, held)
    with pytest.raises(DomainError):
        svc.scans.attach("no-such-dossier", "1", [svc.scans.prepare(path)])
    saved = svc.desk.receive(d, scan_reason="x")
    assert svc.scans.files_of(saved)[0].sha == held.sha
    assert svc.store.files.read(held.sha) == data


def test_viewer_copies_go_when_the_counter_closes_and_old_ones_at_the_next_start(
    svc, tmp_path, monkeypatch
):
    """A plain copy made for the viewer must not outlive the session (with an encrypted
    cache it would be the only readable copy of a citizen's papers on the PC)."""
    import os
    import tempfile
    from pathlib import Path

    from counter_tui.usecases.scans import sweep_old_views

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    d = svc.desk.receive(_draft(svc), scan_reason="x")
    p = svc.scans.prepare(write(tmp_path, "a.pdf", pdf_bytes(1)))
    svc.scans.attach(d.uid, "1", [p])
    copy = Path(svc.scans.viewer_command(p.sha, "a.pdf")[-1])
    assert copy.exists() and str(copy).startswith(str(tmp_path / "tmp"))
    svc.close()
    assert not copy.exists()
    # A session that crashed left its copies: removed once a day old, not before.
    stale = tmp_path / "tmp" / "counter-tui-view-crashed"
    fresh = tmp_path / "tmp" / "counter-tui-view-running"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "a.pdf").write_bytes(b"%PDF")
    os.utime(stale, (1_000, 1_000))
    sweep_old_views()
    assert not stale.exists() and fresh.exists()

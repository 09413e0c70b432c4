"""The use-case layer as the screens see it: what it records, and that a save stands."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from counter_tui.domain.dossier import Applicant
from counter_tui.domain.status import Action, Status
from counter_tui.ui.screens.sync import SyncScreen
from tests.ui.conftest import NOW, seed


async def test_marking_a_rejected_operation_handled_is_audited_under_the_signed_in_clerk(
    app, services, clock
):
    (d,) = seed(services.desk, clock, [("Lê Văn Tám", "001090000008", "", "1.004873", NOW, 1)])
    # The centre's answer, as the sync engine records it (tests/sync covers the real push).
    services.store.outbox.ack([{"seq": 1, "status": "rejected", "reason": "hồ sơ trùng"}])
    services.desk.sign_in("minh")  # another clerk than the settings' "canbo01"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, SyncScreen)
        table = app.screen.query_one("#rejected", DataTable)
        assert table.row_count == 1
        assert str(table.get_row_at(0)[1]) == d.code  # the dossier's code, not its uid
        table.focus()
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert table.row_count == 0
    assert services.desk.rejected() == []
    resolved = services.store.outbox.rejected(include_resolved=True)
    assert resolved[0]["resolution"] == "đã xử lý bởi minh"
    last = services.store.audit.entries()[-1]
    assert (last["action"], last["actor"], last["op_seq"]) == ("resolve_rejected", "minh", 1)


def test_a_failing_after_save_hook_never_undoes_or_fails_the_save(services, clock):
    # on_write wakes the sync engine after the transaction is durable; if it fails, the
    # clerk must still be told "saved", and the dossier must be in the store.
    def broken() -> None:
        raise RuntimeError("OrderedDict mutated during iteration")

    desk = services.desk
    desk.on_write = broken
    draft = desk.draft("1.004873", Applicant("Đỗ Thị Chín", citizen_id="001190000009"))
    for item in draft.documents:
        item.received = True
    saved = desk.receive(draft)
    assert saved.code and saved.state is Status.RECEIVED
    assert desk.dossier(saved.uid) == saved
    moved = desk.act(saved.uid, Action.TRANSFER, data={"unit": "Tư pháp"})
    assert moved.state is Status.PROCESSING
    assert desk.dossier(saved.uid) == moved
    assert services.store.outbox.pending_count() == 2


async def test_a_slip_that_cannot_be_made_after_a_save_still_says_saved(app, services):
    # Standing in for a slip renderer that fails (a damaged template, a full disk): the
    # one stand-in here, because a real failure of the slip code cannot be provoked.
    def broken(form: str, uid: str):
        raise OSError(28, "No space left on device")

    services.paperwork.slip = broken
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        screen = app.screen
        screen.query_one("#cid", Input).value = "079185000001"
        screen.query_one("#name", Input).value = "Trần Thị Bình"
        screen._choose("1.004873")
        for item in screen.documents:
            item.received = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen  # no slip, no error screen: the form is ready again
        assert screen.query_one("#cid", Input).value == ""
        notes = [n.message for n in app._notifications]
        assert any("Đã lưu hồ sơ 000.00.00.H56-261125-10001" in n for n in notes)
    saved = services.desk.find("000.00.00.H56-261125-10001")[0]
    assert [s.name for s in saved] == ["Trần Thị Bình"]
    assert services.store.outbox.pending_count() == 1


async def test_a_full_disk_on_the_dossier_screen_says_not_saved_and_changes_nothing(
    app, services, clock, tmp_path, monkeypatch
):
    """The disk fills up (the fault layer of tests/store/faulty_disk.py: a real os.write
    that runs out of room) as the clerk records a withdrawal: the screen says in Vietnamese
    that nothing was saved, the app keeps running, and the dossier is as it was."""
    from counter_tui.ui.screens.dialogs import ReasonDialog
    from counter_tui.ui.screens.dossier import DossierScreen
    from tests.store.faulty_disk import faulty_disk

    d = seed(
        services.desk,
        clock,
        [("Trần Thị Bình", "079185000001", "0912345678", "1.004873", NOW, Status.RECEIVED)],
    )[0]
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        with faulty_disk(tmp_path / "cache", monkeypatch) as disk:
            disk.fill(0)
            await pilot.press("ctrl+w")
            await pilot.pause()
            assert isinstance(app.screen, ReasonDialog)
            app.screen.query_one("#reason", Input).value = "Công dân xin rút"
            await pilot.press("enter")
            await pilot.pause()
            assert app.is_running and isinstance(app.screen, DossierScreen)
            shown = str(app.screen.query_one("#action_msg").render())
            assert "đĩa" in shown.lower() or "dung lượng" in shown.lower(), shown
    assert services.desk.dossier(d.uid).status == Status.RECEIVED


async def test_a_stop_notice_that_cannot_be_made_still_says_the_stop_is_saved(app, services, clock):
    # Standing in for a slip renderer that fails after the stop is saved (a damaged
    # template): the one stand-in here, as in the receive test above.
    from counter_tui.ui.screens.dialogs import ReasonDialog
    from counter_tui.ui.screens.dossier import DossierScreen

    def broken(uid: str):
        raise OSError(28, "No space left on device")

    services.paperwork.stop_notice = broken
    d = seed(
        services.desk,
        clock,
        [("Trần Thị Bình", "079185000001", "0912345678", "1.004873", NOW, Status.PROCESSING)],
    )[0]
    async with app.run_test(size=(130, 45)) as pilot:
        app.push_screen(DossierScreen(d.uid))
        await pilot.pause()
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        app.screen.query_one("#reason", Input).value = "Công dân đề nghị dừng"
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, DossierScreen)
        notes = [n.message for n in app._notifications]
        assert any(f"Đã lưu hồ sơ {d.code}" in n for n in notes), notes
    assert services.desk.dossier(d.uid).status == Status.STOPPED

"""The scans' entries travel to a real central service inside the normal operations: the
receive carries them, an attach later is applied there too (never changes the status).
The bytes themselves go by the uploader (the centre's side of issue 14), not tested here."""

from __future__ import annotations

from tests.support.central import OFFICE
from tests.support.counter import make_counter
from tests.support.scans import jpeg_bytes, pdf_bytes, write
from tests.sync.conftest import central, central_db, engine, tokens  # noqa: F401  (fixtures)


def test_receive_with_scans_and_attach_later_reach_the_centre(tmp_path, central, tokens):  # noqa: F811
    from counter_tui.domain.dossier import Applicant
    from counter_tui.usecases.scans import Scans

    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    c = make_counter(tmp_path / "q1", central.url, token, slot)
    scans = Scans(c.desk, c.store.files)
    d = c.desk.draft("1.004873", Applicant("Trần Thị Bình", citizen_id="079185000001"))
    for i, item in enumerate(d.documents):
        item.received = True
        if item.required:
            scans.add_to_draft(d, i, scans.prepare(write(tmp_path, f"d{i}.pdf", pdf_bytes(i + 1))))
    d = c.desk.receive(d)
    later = scans.prepare(write(tmp_path, "cccd.jpg", jpeg_bytes(800, 600)))
    scans.attach(d.uid, "1", [later])
    assert c.engine.sync_once() is True
    assert c.engine.status().pending == 0 and c.engine.status().conflicts == 0
    found = central.db.dossiers.by_code(OFFICE, d.code)[0]
    first = found["documents"][0]["files"]
    assert [f["kind"] for f in first] == ["pdf", "jpeg"] and first[1]["width"] == 800
    assert found["status"] == 2 and found["events"][-1]["action"] == "attach"
    c.close()

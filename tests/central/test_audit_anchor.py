"""Each audit chain anchored outside itself (issue 11.11): a chain cut short whose stored head
was rewritten to match passes its own check, and is caught against the other end."""

from __future__ import annotations

import json

from sqlalchemy import text
from tinydb import Query

from counter_tui.store.local import LocalStore
from tests.support.central import cli
from tests.support.counter import make_counter


def truncate_counter_chain(data, keep: int) -> None:
    """What someone with the PC's files does: drop the last entries and rewrite the stored
    head so the chain is whole again on its own."""
    store = LocalStore(data, background=False)
    try:
        entries = store.audit.entries()
        with store.transaction():
            for name in store.store.shard_names("a/"):
                store.store.shard(name).table("events").remove(Query().seq > keep)
            store.meta.set("audit_seq", keep)
            store.meta.set("audit_hash", entries[keep - 1]["hash"])
        assert store.audit.verify() == (keep, None)  # the hole: on its own it looks intact
    finally:
        store.close()


def test_a_counter_chain_cut_short_is_caught_against_the_centre(tmp_path, central, tokens):
    q1, token = tokens["q1"]
    data = tmp_path / "q1"
    c = make_counter(data, central.url, token, q1.slot)
    for i in range(3):
        c.receive(f"Người Thứ {i}", f"07918500000{i}")
    assert c.engine.sync_once()
    for i in range(3, 5):
        c.receive(f"Người Thứ {i}", f"07918500000{i}")
    assert c.engine.sync_once()
    n = len(c.store.audit.entries())
    anchors = central.db.audit.anchors(q1.id)
    assert [a["seq"] for a in anchors] == [3, n] and n == 5
    c.close()
    config = tmp_path / "counter.toml"
    config.write_text(
        f'[counter]\noffice = "000.00.00.H56"\nslot = {q1.slot}\n'
        f'[central]\nurl = "{central.url}"\ntoken = "{token}"\n',
        encoding="utf-8",
    )
    ok = cli("--config", str(config), "audit", "verify", "--data", str(data))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "matches the 2 heads" in ok.stdout
    vi = cli("--config", str(config), "audit", "verify", "--data", str(data), lang="vi")
    assert vi.returncode == 0 and "khớp với 2 đầu chuỗi hệ thống trung tâm đã lưu" in vi.stdout
    truncate_counter_chain(data, keep=4)
    bad = cli("--config", str(config), "audit", "verify", "--data", str(data))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "audit chain intact: 4 entries" in bad.stdout  # its own check is fooled ...
    assert "DOES NOT MATCH THE CENTRAL SERVICE" in bad.stdout  # ... the centre's is not
    assert "saw 5 entries" in bad.stdout and "this PC has 4" in bad.stdout
    vi = cli("--config", str(config), "audit", "verify", "--data", str(data), lang="vi")
    assert vi.returncode == 1 and "KHÔNG KHỚP VỚI HỆ THỐNG TRUNG TÂM" in vi.stdout
    assert "trung tâm đã thấy 5 mục" in vi.stdout and "máy này có 4" in vi.stdout


def test_the_centre_chain_cut_short_is_caught_against_the_daily_export(
    tmp_path, central, central_db, tokens
):
    q1, token = tokens["q1"]
    c = make_counter(tmp_path / "q1", central.url, token, q1.slot)
    c.receive("Trần Thị Bình", "079185000001")
    assert c.engine.sync_once()
    export = tmp_path / "elsewhere" / "audit-heads.json"
    export.parent.mkdir()
    out = cli("central", "--db", str(central_db), "audit", "export", "--out", str(export))
    assert out.returncode == 0, out.stderr
    kept = json.loads(export.read_text(encoding="utf-8"))
    assert kept["centre"]["head"] == central.db.audit.head()
    assert kept["counters"][0]["name"] == "Q1" and kept["counters"][0]["seq"] == 1
    assert export.stat().st_mode & 0o077 == 0
    c.receive("Lê Văn Cường", "079185000002")
    assert c.engine.sync_once()
    good = cli("central", "--db", str(central_db), "audit", "verify", "--against", str(export))
    assert good.returncode == 0 and "extends the exported head" in good.stdout
    # Someone with the database removes the last entries, back past the export, and
    # rewrites the stored head to the new last entry.
    n = kept["centre"]["entries"]
    with central.db.engine.begin() as conn:
        pg = central.db.dialect == "postgresql"
        conn.execute(text("DROP TRIGGER audit_append_only_d" + (" ON audit" if pg else "")))
        conn.execute(text("DELETE FROM audit WHERE seq >= :n"), {"n": n})
        last = conn.execute(text("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1")).scalar_one()
        conn.execute(text("UPDATE meta SET v = :h WHERE k = 'audit_head'"), {"h": last})
    alone = cli("central", "--db", str(central_db), "audit", "verify")
    assert alone.returncode == 0  # the hole: on its own the shortened chain looks intact
    caught = cli("central", "--db", str(central_db), "audit", "verify", "--against", str(export))
    assert caught.returncode == 1 and "SHORTER THAN EXPORTED" in caught.stdout
    c.close()

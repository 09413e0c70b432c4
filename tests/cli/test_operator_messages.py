"""What an operator reads from ``counter-tui``: in the screens' language (``--lang``, else the
settings' ``[counter] language``, else Vietnamese), with the same exit codes in both; and
``clerk add`` audited through the sign-in use case. The commands run in-process through
``main`` on real TinyDB caches in tmp dirs; the centre's commands on a real SQLite file."""

from __future__ import annotations

import io
from datetime import datetime

import orjson
import pytest

from counter_tui.cli import main
from counter_tui.store.local import LocalStore
from counter_tui.usecases.auth import SignIn, hash_pin

OFFICE = "000.00.00.H56"


@pytest.fixture
def config(tmp_path):
    """A configured standalone counter's settings; ``config(language="en")`` for another."""

    def write(**counter: str):
        lines = [
            f'office = "{OFFICE}"',
            'name = "Q1"',
            *(f'{k} = "{v}"' for k, v in counter.items()),
        ]
        path = tmp_path / "counter.toml"
        path.write_text("[counter]\n" + "\n".join(lines) + "\n", encoding="utf-8")
        return str(path)

    return write


def run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_clerk_add_is_audited_by_the_sign_in_use_case(tmp_path, config, capsys, monkeypatch):
    data = str(tmp_path / "c")
    code, out, err = run(
        capsys,
        monkeypatch,
        *("--config", config(), "clerk", "add", " Minh ", "--name", "Trần Văn Minh"),
        *("--data", data, "--pin-stdin"),
        stdin="13579135\n",
    )
    assert (code, err) == (0, "")
    assert "cán bộ minh: đã đặt mã PIN trên máy này" in out
    with LocalStore(data, background=False) as store:
        [entry] = [e for e in store.audit.entries() if e["action"] == "clerk.set_local"]
        # The use case's audit entry: who, what, when and at which counter (the command
        # wrote only the first three before).
        assert entry["actor"] == "operator" and entry["target"] == "minh"
        assert entry["counter"] == "Q1" and datetime.fromisoformat(entry["at"])
        assert store.audit.verify()[1] is None
        clerk = SignIn(store, lambda: datetime(2026, 12, 7, 9, 0)).sign_in("minh", "13579135")
        assert clerk.name == "Trần Văn Minh"


def test_add_local_clerk_writes_the_account_and_its_audit_entry_together(tmp_path):
    with LocalStore(tmp_path / "c", background=False) as store:
        signin = SignIn(store, lambda: datetime(2026, 12, 7, 9, 0), counter="Q2")
        before = len(store.audit.entries())
        added = signin.add_local_clerk("LAN", "Nguyễn Thị Lan", hash_pin("24681012"))
        assert (added.username, added.name) == ("lan", "Nguyễn Thị Lan")
        assert [a["username"] for a in signin.accounts()] == ["lan"]
        entries = store.audit.entries()
        assert len(entries) == before + 1
        assert entries[-1]["action"] == "clerk.set_local"
        assert entries[-1]["at"] == "2026-12-07T09:00:00" and entries[-1]["counter"] == "Q2"
        # A new PIN for the same clerk replaces the account, and is audited again.
        signin.add_local_clerk("lan", "Nguyễn Thị Lan", hash_pin("11223344"))
        assert len(signin.accounts()) == 1 and len(store.audit.entries()) == before + 2
        assert signin.sign_in("lan", "11223344").username == "lan"


@pytest.mark.parametrize(
    ("lang", "said"),
    [("vi", "Mã PIN cần ít nhất 6 ký tự."), ("en", "A PIN needs at least 6 characters.")],
)
def test_a_short_pin_is_refused_in_the_chosen_language_before_the_cache_opens(
    tmp_path, config, capsys, monkeypatch, lang, said
):
    data = tmp_path / "c"
    code, out, err = run(
        capsys,
        monkeypatch,
        *("--lang", lang, "--config", config(), "clerk", "add", "lan", "--name", "Lan"),
        *("--data", str(data), "--pin-stdin"),
        stdin="123\n",
    )
    assert (code, out, err.strip()) == (2, "", said)
    assert not data.exists()  # refused before anything was opened


def test_the_settings_language_is_used_and_lang_still_wins(tmp_path, config, capsys, monkeypatch):
    args = ("clerk", "add", "lan", "--data", str(tmp_path / "c"))
    code, _, err = run(capsys, monkeypatch, "--config", config(language="en"), *args)
    assert (code, err.strip()) == (2, "clerk add: --name is required")
    code, _, err = run(
        capsys, monkeypatch, "--config", config(language="en"), "--lang", "vi", *args
    )
    assert (code, err.strip()) == (2, "clerk add: cần --name (họ tên cán bộ)")
    code, _, err = run(capsys, monkeypatch, "--config", config(), *args)
    assert (code, err.strip()) == (2, "clerk add: cần --name (họ tên cán bộ)")


@pytest.mark.parametrize(
    ("lang", "said"),
    [("vi", "đang được dùng bởi tiến trình khác"), ("en", "is in use by another process")],
)
def test_a_cache_the_app_holds_is_said_once_for_every_command_with_exit_3(
    tmp_path, config, capsys, monkeypatch, lang, said
):
    data = tmp_path / "c"
    held = LocalStore(data, background=False)  # the app, as far as the lock can tell
    try:
        for command in (
            ("audit", "verify", "--offline"),
            ("clerk", "unlock", "lan"),
            ("clerk", "add", "lan", "--name", "Lan", "--pin-stdin"),
        ):
            code, out, err = run(
                capsys,
                monkeypatch,
                *("--lang", lang, "--config", config(), *command, "--data", str(data)),
                stdin="24681012\n",
            )
            assert (code, out) == (3, ""), command
            assert said in err and err.count("\n") == 1, command
    finally:
        held.close()


def seeded(data, n: int) -> None:
    with LocalStore(data, background=False) as store, store.transaction():
        for i in range(n):
            store.audit.append({"action": "receive", "actor": "canbo01", "n": i})


def test_audit_verify_in_both_languages(tmp_path, config, capsys, monkeypatch):
    data = tmp_path / "c"
    seeded(data, 4)
    args = ("--config", config(), "audit", "verify", "--data", str(data))
    code, out, _ = run(capsys, monkeypatch, *args)
    assert code == 0
    assert out.splitlines() == [
        "chuỗi nhật ký thao tác nguyên vẹn: 4 mục",
        "chưa đối chiếu với hệ thống trung tâm (chưa cấu hình, hoặc có --offline)",
    ]
    code, out, _ = run(capsys, monkeypatch, "--lang", "en", *args)
    assert code == 0
    assert out.splitlines() == [
        "audit chain intact: 4 entries",
        "not checked against the central service (no service configured, or --offline)",
    ]


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        (
            "vi",
            "CHUỖI NHẬT KÝ THAO TÁC BỊ PHÁ sau 2 mục đúng: mục 3: nội dung đã bị sửa sau khi ghi",
        ),
        (
            "en",
            "AUDIT CHAIN BROKEN after 2 good entries: entry 3: content changed after it was written",
        ),
    ],
)
def test_a_tampered_audit_entry_is_named_in_the_chosen_language(
    tmp_path, config, capsys, monkeypatch, lang, said
):
    data = tmp_path / "c"
    seeded(data, 4)
    # Someone with the disk edits entry 3.
    shard = data / "shards" / "a-000000.json"
    raw = orjson.loads(shard.read_bytes())
    for doc in raw["events"].values():
        if doc["seq"] == 3:
            doc["actor"] = "someone-else"
    shard.write_bytes(orjson.dumps(raw))
    args = ("--lang", lang, "--config", config(), "audit", "verify", "--data", str(data))
    code, out, _ = run(capsys, monkeypatch, *args)
    assert (code, out.strip()) == (1, said)


def test_clerk_unlock_in_both_languages(tmp_path, config, capsys, monkeypatch):
    args = ("--config", config(), "clerk", "unlock", "Lan", "--data", str(tmp_path / "c"))
    assert run(capsys, monkeypatch, *args)[:2] == (
        0,
        "cán bộ Lan: không có lần nhập sai nào được ghi\n",
    )
    assert run(capsys, monkeypatch, "--lang=en", *args)[:2] == (
        0,
        "clerk Lan: no failed attempts recorded\n",
    )


def test_centre_commands_in_both_languages(tmp_path, capsys, monkeypatch):
    db = ("central", "--db", str(tmp_path / "c.sqlite3"))
    code, out, _ = run(capsys, monkeypatch, *db, "add-office", OFFICE, "UBND xã Quảng Phú")
    assert (code, out) == (0, f"cơ quan {OFFICE}: UBND xã Quảng Phú\n")
    code, out, _ = run(capsys, monkeypatch, *db, "audit", "verify")
    assert code == 0 and out.startswith("chuỗi nhật ký thao tác nguyên vẹn: 1 mục; đầu chuỗi ")
    code, out, _ = run(capsys, monkeypatch, "--lang", "en", *db, "audit", "verify")
    assert code == 0 and out.startswith("audit chain intact: 1 entries; head ")
    code, _, err = run(capsys, monkeypatch, *db, "disable-clerk", OFFICE, "lan")
    assert (code, err) == (2, f"không có cán bộ lan ở {OFFICE}\n")
    code, _, err = run(capsys, monkeypatch, *db, "disable-clerk", OFFICE, "lan", "--lang", "en")
    assert (code, err) == (2, f"no clerk lan in {OFFICE}\n")
    code, _, err = run(capsys, monkeypatch, *db, "serve", "--host", "0.0.0.0")
    assert (code, err) == (2, "Không nghe ngoài máy này (loopback) khi chưa có --allow-remote.\n")


def test_a_citizen_id_decoded_in_both_languages(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "id", "031090123456")
    assert code == 0 and "Giới tính:    Nam" in out and "Năm sinh:     1990" in out
    code, out, _ = run(capsys, monkeypatch, "--lang", "en", "id", "031090123456")
    assert code == 0 and "Sex:          male" in out and "Born in:      1990" in out
    assert "Giới tính" not in out
    code, _, err = run(capsys, monkeypatch, "id", "12345")
    assert (code, err) == (2, "Số CCCD phải có 12 chữ số (đang có 5).\n")


def test_sync_repair_says_why_not_in_both_languages(tmp_path, config, capsys, monkeypatch):
    data = ("--data", str(tmp_path / "c"))
    code, _, err = run(capsys, monkeypatch, "--config", config(), "sync", "repair", *data)
    assert (code, err) == (2, "quầy chạy độc lập: không đồng bộ gì, không có gì để sửa\n")
    code, _, err = run(
        capsys, monkeypatch, "--lang=en", "--config", config(), "sync", "repair", *data
    )
    assert (code, err) == (2, "standalone counter: nothing is synced, nothing to repair\n")
    # A centre that cannot be asked (nothing listens on port 1): the use case's refusal.
    cfg = tmp_path / "online.toml"
    cfg.write_text(
        f'[counter]\noffice = "{OFFICE}"\nname = "Q1"\n'
        '[central]\nurl = "http://127.0.0.1:1"\ntoken = "t"\n',
        encoding="utf-8",
    )
    for lang, said in (("vi", "không hỏi được trung tâm: "), ("en", "cannot ask the centre: ")):
        args = ("--lang", lang, "--config", str(cfg), "sync", "repair", *data, "--yes")
        code, out, err = run(capsys, monkeypatch, *args)
        assert (code, out) == (2, "") and err.startswith(said), err

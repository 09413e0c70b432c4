"""Encryption at rest: no personal data readable in the cache's files, the right key opens it,
a wrong or missing key is said as such, and crash recovery still works sealed."""

from __future__ import annotations

import random
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as NoKeyring

from counter_tui.keystore import KeyringError, cache_cipher
from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.engine.core import StoreError
from counter_tui.store.local import LocalStore
from tests.factories import dossier

KEY = Cipher(bytes(range(32)))


def fill(path: Path, cipher: Cipher | None, n: int = 40) -> list[dict]:
    rng = random.Random(7)
    store = LocalStore(path, background=False, cipher=cipher)
    docs = [dossier(rng, i) for i in range(n)]
    for d in docs:
        with store.transaction():
            store.dossiers.put(d)
    store.checkpoint(full=True)
    for d in docs[-5:]:  # and some only in the commit log, as after a power cut
        d["applicant"]["address"] = "Số 9 phố Lê Thánh Tông, phường Hoàn Kiếm"
        with store.transaction():
            store.dossiers.put(d)
    store.abandon()  # no clean close: the next open must replay the sealed log
    return docs


def all_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.rglob("*") if p.is_file())


def test_no_name_id_or_phone_is_readable_in_any_file(tmp_path):
    docs = fill(tmp_path / "enc", KEY)
    raw = all_bytes(tmp_path / "enc")
    for d in docs:
        a = d["applicant"]
        for secret in (a["full_name"], a["citizen_id"], a["phone"], d["code"]):
            assert secret.encode("utf-8") not in raw, secret
    assert "Lê Thánh Tông".encode() not in raw
    # The same data unencrypted is readable: the check above can fail.
    plain = fill(tmp_path / "plain", None)
    assert plain[0]["applicant"]["citizen_id"].encode() in all_bytes(tmp_path / "plain")


def test_the_right_key_opens_everything_including_the_log_tail(tmp_path):
    docs = fill(tmp_path / "enc", KEY)
    store = LocalStore(tmp_path / "enc", background=False, cipher=KEY)
    try:
        assert store.dossiers.count() == len(docs)
        last = store.dossiers.get(docs[-1]["uid"])
        assert last["applicant"]["address"] == "Số 9 phố Lê Thánh Tông, phường Hoàn Kiếm"
        assert [
            x["uid"] for x in store.dossiers.of_citizen(docs[3]["applicant"]["citizen_id"])
        ] == [docs[3]["uid"]]
        assert store.notices == []
    finally:
        store.close()


def test_a_missing_or_wrong_key_is_named_and_nothing_is_moved(tmp_path):
    fill(tmp_path / "enc", KEY)
    before = sorted(p.name for p in (tmp_path / "enc").rglob("*"))
    with pytest.raises(StoreError) as info:
        LocalStore(tmp_path / "enc", background=False)
    assert "được mã hóa" in info.value.msg.vi
    with pytest.raises(StoreError) as info:
        LocalStore(tmp_path / "enc", background=False, cipher=Cipher(bytes(32)))
    assert "khóa khác" in info.value.msg.vi
    assert sorted(p.name for p in (tmp_path / "enc").rglob("*")) == before  # no quarantine


def test_turning_encryption_on_over_a_plain_cache_is_refused_with_the_way_forward(tmp_path):
    fill(tmp_path / "plain", None)
    with pytest.raises(StoreError) as info:
        LocalStore(tmp_path / "plain", background=False, cipher=KEY)
    assert "chưa mã hóa" in info.value.msg.vi and "Chờ gửi: 0" in info.value.msg.vi


def test_a_changed_byte_in_a_sealed_shard_is_caught_as_damage(tmp_path):
    fill(tmp_path / "enc", KEY)
    shard = sorted((tmp_path / "enc" / "shards").glob("d-*.json"))[0]
    data = bytearray(shard.read_bytes())
    data[40] ^= 0x01
    shard.write_bytes(bytes(data))
    store = LocalStore(tmp_path / "enc", background=False, cipher=KEY)
    try:
        for s in store.dossiers.all_summaries():  # shards are read when first needed
            store.dossiers.get(s.uid)
        assert [n.code for n in store.notices] == ["shard.damaged"]
        assert any(p.name.startswith(shard.name + ".damaged") for p in shard.parent.iterdir())
    finally:
        store.close()


class MemoryKeyring(KeyringBackend):
    """Stands in for the OS keyring, which CI machines do not run (no desktop session).
    The code under test calls the real ``keyring`` API; only the backend is replaced."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_the_key_lives_in_the_keyring_not_in_the_folder(tmp_path, memory_keyring):
    from counter_tui.launch import make_services
    from tests.ui.conftest import settings

    s = make_services(settings(encrypt_cache=True), data=tmp_path / "c", start_sync=False)
    s.close()
    [(service, entry)] = memory_keyring.items
    assert service == "counter-tui" and str((tmp_path / "c").resolve()) in entry
    key = memory_keyring.items[(service, entry)]
    assert key.encode() not in all_bytes(tmp_path / "c")
    # The same key comes back the next time; the store opens with it.
    assert cache_cipher(tmp_path / "c").key_id == Cipher(__import__("base64").b64decode(key)).key_id
    again = make_services(settings(encrypt_cache=True), data=tmp_path / "c", start_sync=False)
    again.close()
    memory_keyring.items.clear()  # the key is gone (another Windows user, another PC)
    with pytest.raises(KeyringError):
        cache_cipher(tmp_path / "c", create=False)


def test_no_keyring_on_the_machine_is_a_clear_message(tmp_path):
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        with pytest.raises(KeyringError) as info:
            cache_cipher(tmp_path / "c")
        assert "không có kho khóa" in info.value.msg.vi
    finally:
        keyring.set_keyring(previous)


@pytest.mark.skipif(__import__("sys").platform == "win32", reason="POSIX modes; Windows uses ACLs")
def test_the_data_folder_is_owner_only_and_an_open_one_is_tightened(tmp_path):
    fresh = tmp_path / "fresh"
    LocalStore(fresh, background=False).close()
    assert fresh.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o077 == 0 for p in fresh.rglob("*") if p.is_file())
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    LocalStore(loose, background=False).close()
    assert loose.stat().st_mode & 0o777 == 0o700

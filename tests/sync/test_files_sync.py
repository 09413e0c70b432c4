"""The counter's file uploader (issue 14, "synced whole") against a real central service on
each engine, through the fault proxy: a link that drops mid-chunk, answers lost after the
centre acted, a centre killed and started again. Every file arrives byte-identical and is
acknowledged exactly once; a second counter of the office sends nothing; another office
reads nothing.

The uploader reads from ``tests.support.files.FolderSource``, a small source over a temp
folder written for these tests; the app's uploader over the store's own ``FileSource``
(``store.files``) is tested in tests/ui/test_scans_upload.py.
"""

from __future__ import annotations

import hashlib
import time

import httpx

from counter_tui.central.filestore import DiskFileStore
from counter_tui.sync.client import CentralClient
from counter_tui.sync.files import CHUNK, FileUploader
from tests.support.central import OFFICE
from tests.support.counter import make_counter
from tests.support.files import FolderSource
from tests.support.proxy import FaultProxy

MIB = 1024 * 1024
OTHER = "000.00.00.H38"


def blob(n: int, seed: int) -> bytes:
    block = hashlib.sha256(f"scan-{seed}".encode()).digest() * 2048  # 64 KiB
    return (block * (n // len(block) + 1))[:n]


def uploader(source: FolderSource, url: str, token: str) -> FileUploader:
    return FileUploader(source, CentralClient(url, token), max_backoff=2.0, interval=0.2)


def wait_for(cond, what: str, limit: float = 240.0) -> None:
    """Poll until ``cond()``; the limit only ends a hung test, nothing is timed here."""
    end = time.monotonic() + limit
    while not cond():
        assert time.monotonic() < end, f"never happened: {what}"
        time.sleep(0.05)


def http_for(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_files_arrive_whole_and_once_through_drops_and_a_centre_restart(
    tmp_path, central, tokens, proxy
):
    source = FolderSource(tmp_path / "scans")
    files = {source.add(blob(20 * MIB, i)): blob(20 * MIB, i) for i in range(2)}
    small = blob(1000, 9)
    files[source.add(small)] = small
    proxy.drop_bytes = (MIB // 2, 3 * MIB)  # cut every half to three chunks
    proxy.set("drop")
    up = uploader(source, proxy.url, tokens["q1"][1])
    up.start()
    try:
        wait_for(lambda: up.status().sent_bytes > 8 * MIB, "8 MiB sent")
        central.kill()  # mid-upload, as a power cut would
        central.start()
        wait_for(lambda: len(source.acks) == len(files), "every file acknowledged")
    finally:
        up.stop()
    assert proxy.drops > 3  # the link did drop, several times
    assert all(n == 1 for n in source.acks.values()) and set(source.acks) == set(files)
    http = http_for(central.url, tokens["bo"])
    for sha, data in files.items():
        assert http.get(f"/v1/files/{sha}").content == data
    assert sorted(f["sha"] for f in central.db.files.of_office(OFFICE)) == sorted(files)
    assert DiskFileStore(central.files).count() == len(files)
    status = up.status()
    assert (status.files_waiting, status.bytes_waiting, status.refused) == (0, 0, {})


class LoseAnswers(httpx.HTTPTransport):
    """The network between counter and centre losing the answers of the first ``n`` chunks:
    each reaches the centre, which acts on it, and the counter hears a cut connection (a
    transport, because the fault proxy cuts whole connections and would cut the uploader's
    first question too). Counts the chunk bytes put on the wire."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.chunk_bytes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "PATCH":
            self.chunk_bytes += len(request.content)
            if self.n > 0:
                self.n -= 1
                response.read()
                response.close()
                raise httpx.ReadError("connection cut before the answer arrived")
        return response


def test_lost_answers_cost_nothing_resent(tmp_path, central, tokens):
    source = FolderSource(tmp_path / "scans")
    data = blob(6 * MIB + 5, 1)
    sha = source.add(data)
    wire = LoseAnswers(3)
    client = CentralClient(central.url, tokens["q1"][1], transport=wire)
    up = FileUploader(source, client)
    passes = 1
    while not up.upload_pending():
        assert up.status().problem is not None and up.status().problem.code == "offline"
        passes += 1
    assert passes == 4 and source.acks == {sha: 1}
    # After each lost answer the uploader asked where the centre stands: no byte twice.
    assert wire.chunk_bytes == len(data)
    assert client.file(sha) == data


def test_an_upload_resumes_from_what_the_centre_holds(tmp_path, central, tokens):
    source = FolderSource(tmp_path / "scans")
    data = blob(5 * MIB, 2)
    sha = source.add(data)
    client = CentralClient(central.url, tokens["q1"][1])
    client.upload_file_chunk(sha, 0, len(data), data[:CHUNK])
    client.upload_file_chunk(sha, CHUNK, len(data), data[CHUNK : 2 * CHUNK])
    up = uploader(source, central.url, tokens["q1"][1])
    assert up.status().files_waiting == 0  # nothing looked at yet
    assert up.upload_pending()
    assert up.status().sent_bytes == len(data) - 2 * CHUNK
    assert client.file(sha) == data


def test_a_second_counter_of_the_office_sends_nothing_another_office_sends_it_all(
    tmp_path, central, tokens
):
    datas = [blob(3 * MIB, 3), blob(2 * MIB + 1, 4)]
    first = FolderSource(tmp_path / "q1")
    shas = [first.add(d) for d in datas]
    up1 = uploader(first, central.url, tokens["q1"][1])
    assert up1.upload_pending(), up1.status()
    second = FolderSource(tmp_path / "q2")
    for d in datas:
        second.add(d)
    up2 = uploader(second, central.url, tokens["q2"][1])
    assert up2.upload_pending()
    assert up2.status().sent_bytes == 0 and second.reads == 0
    assert set(second.acks) == set(shas)
    # Another office: refused the bytes until it sends them itself, and then no new copy.
    central.db.offices.add(OTHER, "UBND xã khác")
    _c, token = central.db.clients.add(OTHER, "Q1")
    client = CentralClient(central.url, token)
    assert all(client.file(sha) is None for sha in shas)
    other = FolderSource(tmp_path / "other")
    for d in datas:
        other.add(d)
    up3 = uploader(other, central.url, token)
    assert up3.upload_pending()
    assert up3.status().sent_bytes == sum(len(d) for d in datas)
    assert [client.file(sha) for sha in shas] == datas
    assert DiskFileStore(central.files).count() == 2


def test_a_file_the_centre_refuses_does_not_hold_up_the_others(tmp_path, central, tokens):
    source = FolderSource(tmp_path / "scans")
    corrupt = source.add(blob(MIB + 3, 5), sha=hashlib.sha256(b"something else").hexdigest())
    too_big = source.add(blob(21 * MIB, 6))
    good = source.add(blob(MIB, 7))
    up = uploader(source, central.url, tokens["q1"][1])
    assert not up.upload_pending()
    assert set(source.acks) == {good}
    refused = up.status().refused
    assert set(refused) == {corrupt, too_big}
    assert "hash" in refused[corrupt] and "413" in refused[too_big]
    # The counter keeps them (not acknowledged) and F5 counts them as waiting.
    assert up.status().files_waiting == 2
    assert CentralClient(central.url, tokens["q1"][1]).file(corrupt) is None


def test_an_upload_in_progress_does_not_hold_up_operation_pushes(tmp_path, central, tokens):
    source = FolderSource(tmp_path / "scans")
    sha = source.add(blob(20 * MIB, 8))
    slow = FaultProxy(central.port)
    slow.set("delay", 0.03)  # each piece of up to 64 KiB held 30 ms: the file takes a while
    slot, token = tokens["q1"][0].slot, tokens["q1"][1]
    up = uploader(source, slow.url, token)
    counter = make_counter(tmp_path / "q1", slow.url, token, slot)
    up.start()
    try:
        wait_for(lambda: up.status().sent_bytes >= 2 * MIB, "an upload under way")
        shown = up.status()  # what F5 shows meanwhile
        assert shown.files_waiting == 1 and 0 < shown.bytes_waiting <= 18 * MIB
        assert shown.rate_bps > 0
        d = counter.receive("Hoàng Thị Mai", "001185000999")
        assert counter.engine.sync_once()  # through the same slow link, same centre
        assert central.db.dossiers.by_code(OFFICE, d.code) is not None
        assert source.acks[sha] == 0 and up.status().current == sha  # still uploading
        wait_for(lambda: source.acks[sha] == 1, "the file acknowledged")
    finally:
        up.stop()
        counter.close()
        slow.close()


def test_a_scan_damaged_in_the_cache_does_not_hold_up_the_others(tmp_path, central, tokens):
    """The real store as the source: the oldest waiting scan fails its hash in the cache
    (a changed byte on disk). It is set aside and named on F5; the scans after it still go."""
    from counter_tui.store.local import LocalStore

    with LocalStore(tmp_path / "c", background=False) as store:
        shas = []
        for i in range(2):
            data = blob(1000 + i, 20 + i)
            sha = store.files.put(data)
            with store.transaction():
                store.files.register(sha, len(data), "t")
            shas.append(sha)
        p = store.files.path_of(shas[0])
        raw = bytearray(p.read_bytes())
        raw[10] ^= 1
        p.write_bytes(bytes(raw))
        up = FileUploader(store.files, CentralClient(central.url, tokens["q1"][1]))
        assert not up.upload_pending()
        assert store.files.pending_files() == [(shas[0], 1000)]
        assert set(up.status().refused) == {shas[0]}
        assert "bị hỏng" in up.status().refused[shas[0]]  # the clerk's words on F5
        assert up.status().problem is None

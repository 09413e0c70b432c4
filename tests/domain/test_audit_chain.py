"""The audit chain's checks, beside the chain: on its own, against the heads the centre kept
of a counter's pushes, and against an export of the centre's head kept elsewhere."""

from __future__ import annotations

from counter_tui.domain.audit_chain import (
    ChainBreak,
    against_anchors,
    against_export,
    break_words,
    chain,
    verify_chain,
)
from counter_tui.domain.messages import Msg


def built(n: int) -> list[dict]:
    out: list[dict] = []
    for seq in range(1, n + 1):
        out.append(chain(out[-1]["hash"] if out else "", seq, {"action": "receive", "n": seq}))
    return out


def test_a_broken_link_is_described_in_both_languages_and_reads_as_before():
    entries = built(4)
    entries[2] = {**entries[2], "actor": "someone-else"}
    checked, problem = verify_chain(entries, entries[-1]["hash"])
    assert checked == 2 and isinstance(problem, ChainBreak)
    # Logs and the centre's copy check keep the English text they always had.
    assert problem == "entry 3: content changed after it was written"
    assert f"{problem}" == "entry 3: content changed after it was written"
    assert break_words(problem).vi == "mục 3: nội dung đã bị sửa sau khi ghi"
    assert verify_chain(built(4), built(3)[-1]["hash"])[1] == "the last entries were removed"
    assert break_words(verify_chain(built(4)[1:], None)[1]).vi.startswith("mục 1: số thứ tự 2")
    assert verify_chain(built(4), built(4)[-1]["hash"]) == (4, None)
    # A text from elsewhere (one language) reads the same in both.
    assert break_words("gone") == Msg("gone", "gone")


def test_a_chain_cut_short_behind_its_rewritten_head_is_caught_by_the_centres_anchors():
    entries = built(5)
    anchors = [{"seq": 3, "head": entries[2]["hash"]}, {"seq": 5, "head": entries[4]["hash"]}]
    assert against_anchors(entries, anchors) is None
    cut = entries[:4]
    assert verify_chain(cut, cut[-1]["hash"]) == (4, None)  # on its own it looks intact
    problem = against_anchors(cut, anchors)
    assert problem is not None
    assert "saw 5 entries" in problem.en and "this PC has 4" in problem.en
    assert "trung tâm đã thấy 5 mục" in problem.vi and "máy này có 4" in problem.vi


def test_a_rewritten_chain_is_caught_by_the_centres_anchors():
    entries = built(3)
    rewritten = [*built(2), chain(built(2)[-1]["hash"], 3, {"action": "withdraw"})]
    anchors = [{"seq": 3, "head": entries[2]["hash"]}]
    problem = against_anchors(rewritten, anchors)
    assert problem is not None and problem.en.startswith("entry 3 is not the one")
    assert against_anchors(rewritten, []) is None  # nothing kept, nothing to compare


def test_the_centres_chain_must_extend_the_head_exported_earlier():
    entries = built(6)

    def hash_at(n: int) -> str | None:
        return entries[n - 1]["hash"] if n <= len(entries) else None

    kept = {"entries": 4, "head": entries[3]["hash"]}
    assert against_export(6, kept, hash_at) is None
    assert against_export(0, {"entries": 0, "head": ""}, hash_at) is None
    shorter = against_export(3, kept, hash_at)
    assert shorter is not None and "SHORTER THAN EXPORTED: 4 entries then, 3 now" in shorter.en
    assert "NGẮN HƠN BẢN ĐÃ XUẤT" in shorter.vi
    other = {"entries": 4, "head": "0" * 64}
    rewritten = against_export(6, other, hash_at)
    assert rewritten is not None and "REWRITTEN: entry 4" in rewritten.en

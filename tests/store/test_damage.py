"""No single damaged or missing file loses unsent work, reuses a code or blocks writes (11.2).

One test over the whole matrix (see ``damage.py``): every kind of file the
store writes × flip a byte / truncate / delete / zero-fill, each reopened and
checked for what the clerk would notice.
"""

from __future__ import annotations

import pytest

from tests.store.damage import CASES, run_case


@pytest.mark.parametrize(("kind", "damage"), CASES, ids=[f"{k}-{d}" for k, d in CASES])
def test_one_damaged_file_loses_no_unsent_operation(tmp_path, kind, damage):
    outcome = run_case(tmp_path, kind, damage)
    assert outcome.problems == [], (outcome.notices, outcome.problems)
    assert outcome.unsent_lost == 0
    assert not outcome.code_reused
    assert outcome.write_blocked is None
    assert outcome.honest

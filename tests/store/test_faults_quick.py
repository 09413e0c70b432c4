"""The quick form of the fault campaign (``bench/faults.py --quick``) loses nothing.

Kills during receives and actions, the damage matrix and a full disk, as a
maintainer would run them for longer: every loss, duplicate, unopenable and
false-error figure must be 0. The sync part comes from ``bench/faults_sync.py``
when it is present (its figures are null otherwise, and checked when not).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_quick_fault_campaign_loses_nothing():
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "faults.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["kills"] >= 10 and result["acked"] > result["kills"]
    assert result["damage_cases"] >= 36
    for key in ("lost", "duplicated", "unopenable", "false_errors", "damage_unsent_lost"):
        assert result[key] == 0, (key, out.stdout)
    # bench/faults_sync.py ships beside it: the sync part must have run, not reported None.
    assert result["sync_ops"] and result["sync_ops"] > 0, out.stdout
    for key in ("sync_lost", "sync_duplicated"):
        assert result[key] == 0, (key, out.stdout)

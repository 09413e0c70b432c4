"""TinyDB's own test suite, from the installed release's sdist, on the store's shards.

The store relies on TinyDB's internals (``counter_tui/store/tinydb_adapter.py``);
TinyDB's own tests of its Table API are the best statement of what callers may
expect from it. This runs them against a shard of a real store, with a
crash-and-reopen comparison after each (``tests/store/tinydb_upstream.py`` holds
the plugin and says which parts of the suite apply and why the rest do not).

TinyDB's files are not committed: ``.ci/run`` downloads the sdist and names it
in ``COUNTER_TUI_TINYDB_SDIST``; without it the test downloads the sdist with
pip. Only outside CI may it skip, with the reason, when neither works.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import subprocess
import sys
import tarfile
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.store.tinydb_upstream import NOT_APPLICABLE, OWN_TINYDB

ROOT = Path(__file__).resolve().parents[2]
VERSION = importlib.metadata.version("tinydb")
# The files of TinyDB's suite that test the Table API on a storage (see the plugin).
SUITE = ("test_tables.py", "test_tinydb.py")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"CI must run TinyDB's own suite, but {reason}")
    pytest.skip(f"TinyDB's own suite not run (outside CI only): {reason}")


def _locked_sdist_hash() -> str | None:
    """The sha256 that uv.lock records for TinyDB's sdist at the installed version."""
    lock = ROOT / "uv.lock"
    if not lock.exists():
        return None
    for package in tomllib.loads(lock.read_text(encoding="utf-8")).get("package", []):
        if package["name"] == "tinydb" and package["version"] == VERSION:
            sdist = package.get("sdist", {})
            return str(sdist["hash"]).removeprefix("sha256:") if "hash" in sdist else None
    return None


def _sdist(into: Path) -> Path:
    named = os.environ.get("COUNTER_TUI_TINYDB_SDIST")
    if named:
        path = Path(named)
        if not path.is_file():
            _unavailable(f"COUNTER_TUI_TINYDB_SDIST names {path}, which is not a file")
        return path
    cmd = [sys.executable, "-m", "pip", "download", f"tinydb=={VERSION}"]
    cmd += ["--no-binary", ":all:", "--no-deps", "--quiet", "--timeout", "30", "-d", str(into)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"pip download failed: {exc}")
    found = sorted(into.glob(f"tinydb-{VERSION}.tar.gz"))
    if done.returncode != 0 or not found:
        _unavailable(f"pip download of tinydb=={VERSION} failed: {done.stderr.strip()[-500:]}")
    return found[0]


def _extract_suite(sdist: Path, into: Path) -> None:
    with tarfile.open(sdist) as tar:
        for name in SUITE:
            member = tar.extractfile(f"tinydb-{VERSION}/tests/{name}")
            assert member is not None, f"{sdist.name} has no tests/{name}"
            (into / name).write_bytes(member.read())
    # An empty configuration: the project's pytest options are not TinyDB's.
    (into / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")


def test_tinydb_suite_passes_on_a_shard_and_survives_a_crash_after_each_test(tmp_path):
    sdist = _sdist(tmp_path / "download")
    expected_hash = _locked_sdist_hash()
    if expected_hash is not None:
        got = hashlib.sha256(sdist.read_bytes()).hexdigest()
        assert got == expected_hash, f"{sdist.name} is not the sdist uv.lock records"
    suite = tmp_path / "suite"
    suite.mkdir()
    _extract_suite(sdist, suite)
    report = tmp_path / "report.xml"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    cmd = [sys.executable, "-m", "pytest", str(suite), "-c", str(suite / "pytest.ini")]
    cmd += ["--rootdir", str(suite), "-p", "tests.store.tinydb_upstream", "-p", "no:cacheprovider"]
    cmd += ["-q", "-rfEs", f"--junitxml={report}"]
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]

    passed, skipped = [], {}
    for case in ET.parse(report).iter("testcase"):
        test = f"{Path(case.get('file') or case.get('classname', '')).name}::{case.get('name')}"
        skip = case.find("skipped")
        if skip is not None:
            skipped[test] = skip.get("message", "")
        else:
            passed.append(test)
    # Every skip is one the plugin declares: nothing skipped by accident.
    for test, why in skipped.items():
        assert OWN_TINYDB in why or any(r in why for r in NOT_APPLICABLE.values()), (test, why)
    # The Table API is really exercised: the db-fixture tests of both files ran.
    assert len(passed) >= 50, passed
    assert any(t.endswith("::test_drop_tables") for t in passed), passed
    assert any(t.endswith("::test_insert_invalid_type_raises_error") for t in passed), passed

"""uv.lock agrees with pyproject.toml: CI installs from the lock what the project declares.

``.ci/run`` refuses a stale lock too (``uv lock --check``), but that needs uv and
the index; this test reads both files and fails on any machine, at once, when a
dependency was added, removed or changed in pyproject.toml without ``bash
.ci/lock``, or when a locked version falls outside what pyproject.toml allows.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])

Key = tuple[str, frozenset[str], SpecifierSet, str]


def _key(name: str, extras: Any, specifier: str, marker: str | None) -> Key:
    return (
        canonicalize_name(name),
        frozenset(extras or ()),
        SpecifierSet(specifier),
        str(Marker(marker)) if marker else "",
    )


def _declared(req: str, extra: str | None = None) -> Key:
    r = Requirement(req)
    marker = str(r.marker) if r.marker else None
    if extra is not None:
        marker = f"({marker}) and extra == '{extra}'" if marker else f"extra == '{extra}'"
    return _key(r.name, r.extras, str(r.specifier), marker)


def _locked(entry: dict[str, Any]) -> Key:
    return _key(entry["name"], entry.get("extras"), entry.get("specifier", ""), entry.get("marker"))


def _group(name: str) -> list[str]:
    """A dependency group's requirements, with its ``include-group`` entries expanded."""
    out: list[str] = []
    for item in PYPROJECT["dependency-groups"][name]:
        out += _group(item["include-group"]) if isinstance(item, dict) else [item]
    return out


def _root() -> dict[str, Any]:
    (root,) = [p for p in LOCK["package"] if canonicalize_name(p["name"]) == PROJECT]
    return root


def test_the_lock_records_exactly_the_dependencies_and_extras_of_pyproject():
    declared = {_declared(r) for r in PYPROJECT["project"]["dependencies"]}
    for extra, reqs in PYPROJECT["project"].get("optional-dependencies", {}).items():
        declared |= {_declared(r, extra) for r in reqs}
    locked = {_locked(e) for e in _root()["metadata"]["requires-dist"]}
    assert locked == declared, (
        "uv.lock is stale: run `bash .ci/lock` and commit uv.lock "
        f"(only in pyproject: {sorted(map(str, declared - locked))}; "
        f"only in uv.lock: {sorted(map(str, locked - declared))})"
    )


def test_the_lock_records_exactly_the_dependency_groups_of_pyproject():
    groups = PYPROJECT["dependency-groups"]
    locked_groups = _root()["metadata"].get("requires-dev", {})
    assert set(locked_groups) == set(groups), "uv.lock is stale: run `bash .ci/lock`"
    for name in groups:
        declared = {_declared(r) for r in _group(name)}
        locked = {_locked(e) for e in locked_groups[name]}
        assert locked == declared, f"group {name!r}: uv.lock is stale: run `bash .ci/lock`"


def _locked_versions() -> dict[str, list[Version]]:
    versions: dict[str, list[Version]] = {}
    for p in LOCK["package"]:
        if "version" in p:
            versions.setdefault(canonicalize_name(p["name"]), []).append(Version(p["version"]))
    return versions


def _all_declared() -> list[Requirement]:
    reqs = list(PYPROJECT["project"]["dependencies"])
    for extra in PYPROJECT["project"].get("optional-dependencies", {}).values():
        reqs += extra
    for name in PYPROJECT["dependency-groups"]:
        reqs += _group(name)
    return [Requirement(r) for r in reqs]


@pytest.mark.parametrize("req", _all_declared(), ids=str)
def test_every_locked_version_is_one_pyproject_allows(req):
    """A floor raised past the lock, or a lock edited by hand, fails here."""
    locked = _locked_versions().get(canonicalize_name(req.name))
    assert locked, f"{req.name} is declared but not in uv.lock: run `bash .ci/lock`"
    for version in locked:
        assert req.specifier.contains(version, prereleases=True), (req, version)


def test_the_published_ranges_are_the_ones_the_store_and_snapshots_need():
    """TinyDB stays in its 4.9 series (the store relies on its internals); Textual below 9."""
    deps = {Requirement(r).name: Requirement(r) for r in PYPROJECT["project"]["dependencies"]}
    assert str(deps["tinydb"].specifier) == "==4.9.*"
    assert deps["textual"].specifier == SpecifierSet(">=8.2.8,<9")
    # The tools are a development group, not a published extra.
    assert "test" not in PYPROJECT["project"].get("optional-dependencies", {})
    tools = {Requirement(r).name for r in _group("dev")}
    assert {"pytest", "ruff", "mypy"} <= tools

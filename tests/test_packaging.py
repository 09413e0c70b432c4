"""What a user installs: the wheel and the sdist carry the licence and honest metadata.

Both are built by the project's own build backend (hatchling, PEP 517, in a child
Python, offline), then opened as an installer or an index would open them.
"""

from __future__ import annotations

import email.parser
import email.policy
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest

import counter_tui

ROOT = Path(__file__).resolve().parents[1]
VERSION = counter_tui.__version__
BUILD = (
    "import sys; from hatchling.build import build_wheel, build_sdist; "
    "print(build_wheel(sys.argv[1])); print(build_sdist(sys.argv[1]))"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    wheel, sdist = (out / line for line in done.stdout.split())
    return wheel, sdist


def _metadata(text: str) -> Message:
    return email.parser.Parser(policy=email.policy.compat32).parsestr(text)


def _check(meta: Message) -> None:
    assert meta["Metadata-Version"] in ("2.4", "2.5")
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    classifiers = set(meta.get_all("Classifier"))
    for c in (
        "Environment :: Console",
        "Natural Language :: Vietnamese",
        "Operating System :: Microsoft :: Windows",
        "Operating System :: POSIX :: Linux",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
    ):
        assert c in classifiers, c
    # PEP 639: with a licence expression, no licence classifier may be given.
    assert not [c for c in classifiers if c.startswith("License ::")]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    # The tools are a dependency group: no published [test] extra.
    assert meta.get_all("Provides-Extra") == ["central"]
    requires = meta.get_all("Requires-Dist")
    assert "textual<9,>=8.2.8" in requires
    assert "tinydb==4.9.*" in requires
    assert not [r for r in requires if r.startswith(("pytest", "ruff", "mypy"))]


def test_the_wheel_carries_the_licence_and_the_metadata(built):
    wheel, _ = built
    info = f"counter_tui-{VERSION}.dist-info"
    with zipfile.ZipFile(wheel) as z:
        licence = z.read(f"{info}/licenses/LICENSE").decode()
        meta = _metadata(z.read(f"{info}/METADATA").decode())
    assert licence == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "2025-2026 counter-tui contributors" in licence
    _check(meta)


def test_the_sdist_carries_the_licence_and_the_metadata(built):
    _, sdist = built
    top = f"counter_tui-{VERSION}"
    with tarfile.open(sdist) as tar:
        names = set(tar.getnames())
        licence = tar.extractfile(f"{top}/LICENSE")
        pkg_info = tar.extractfile(f"{top}/PKG-INFO")
        assert licence is not None and pkg_info is not None
        assert licence.read().decode() == (ROOT / "LICENSE").read_text(encoding="utf-8")
        meta = _metadata(pkg_info.read().decode())
    # The lock travels with the source, so a build from the sdist can install the same.
    assert f"{top}/uv.lock" in names
    _check(meta)

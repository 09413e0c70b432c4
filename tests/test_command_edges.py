"""The ``counter-tui`` process at its edges: --version, a missing [central] extra, ``| head``.

Each test runs the real command in a child Python, as an operator's shell would.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import counter_tui
from counter_tui.command_edges import CENTRAL_MODULES

ROOT = Path(__file__).resolve().parents[1]
RUN_CLI = "import sys; from counter_tui.cli import main; sys.exit(main(sys.argv[1:]))"
# Hides the [central] extra's modules, as a venv installed without the extra would lack
# them (a simulation: installing a second venv for this test would take minutes).
HIDE = (
    "import importlib.machinery, sys\n"
    "HIDDEN = {hidden!r}\n"
    "class Hide(importlib.machinery.PathFinder):\n"
    "    @classmethod\n"
    "    def find_spec(cls, name, path=None, target=None):\n"
    "        if any(name == h or name.startswith(h + '.') for h in HIDDEN):\n"
    "            return None\n"
    "        return importlib.machinery.PathFinder.find_spec(name, path, target)\n"
    "sys.meta_path[:] = [Hide if f is importlib.machinery.PathFinder else f"
    " for f in sys.meta_path]\n"
)
WITHOUT_CENTRAL = HIDE.format(hidden=sorted(CENTRAL_MODULES))


def _cli(
    *args: str, prelude: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    if cwd is not None:
        env["TMPDIR"] = str(cwd)  # the demo's temp folder, left there if it cannot start
    return subprocess.run(
        [sys.executable, "-c", prelude + RUN_CLI, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def test_version_prints_the_installed_version():
    done = _cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"counter-tui {counter_tui.__version__}"
    # One version: the package's and the installed metadata's agree.
    assert importlib.metadata.version("counter-tui") == counter_tui.__version__


@pytest.mark.parametrize(
    ("args", "lang_word"),
    [
        (["demo"], "Cài đặt"),
        (["--lang", "en", "demo"], "Install it"),
        (["central", "--db", "x.sqlite3", "list"], "Cài đặt"),
        (["central", "--db", "x.sqlite3", "list", "--lang", "en"], "Install it"),
    ],
    ids=["demo vi", "demo en", "central vi", "central en"],
)
def test_a_command_of_the_central_extra_without_it_names_the_extra(tmp_path, args, lang_word):
    done = _cli(*args, prelude=WITHOUT_CENTRAL, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert "[central]" in done.stderr and lang_word in done.stderr, done.stderr
    assert 'pip install "counter-tui[central]"' in done.stderr
    assert "Traceback" not in done.stdout


def test_a_missing_module_of_no_extra_is_still_a_traceback(tmp_path):
    """Only the extra's modules get the message: another missing module is a real bug."""
    prelude = HIDE.format(hidden=["counter_tui.domain.citizen_id"])
    done = _cli("id", "001203012345", prelude=prelude, cwd=tmp_path)
    assert done.returncode == 1
    assert "ModuleNotFoundError" in done.stderr and "[central]" not in done.stderr


def test_central_modules_cover_the_central_extra():
    """Every top-level module of each [central] requirement is in CENTRAL_MODULES."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    modules_of: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(dist.lower().replace("_", "-"), set()).add(module)
    for line in project["optional-dependencies"]["central"]:
        name = Requirement(line).name.lower().replace("_", "-")
        provided = {m for m in modules_of.get(name, set()) if not m.startswith("_")}
        assert provided, f"{name} is not installed: install the [central] extra to run this"
        assert provided <= CENTRAL_MODULES, (name, provided - CENTRAL_MODULES)


def test_output_into_a_closed_pipe_exits_quietly():
    """``counter-tui catalog … | head -1``: the reader leaves, the command ends with no traceback.

    The read end is closed before the child writes, so every write meets a closed pipe.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "catalog", "", "--limit", "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    err = child.stderr.read().decode("utf-8", "replace")
    assert child.wait(timeout=120) == 1
    assert err == "", err

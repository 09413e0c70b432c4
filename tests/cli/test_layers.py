"""The CLI calls use cases: no module under counter_tui/cli/ imports the store, the HTTP
client, TinyDB or httpx, except the wiring that opens them (``wiring.py``) and the start of
the app (``start.py``). The rule is an allowlist, as in the screens' guard: a new adapter is
covered without anyone remembering to add it."""

from __future__ import annotations

import ast
from pathlib import Path

import counter_tui.cli

CLI = Path(counter_tui.cli.__file__).parent
# What every command module may import from the project.
ALLOWED = (
    "counter_tui.cli",
    "counter_tui.usecases",
    "counter_tui.domain",
    "counter_tui.settings",
    "counter_tui.config_files",
    # The process's edges (--version, a missing extra, a closed pipe): stdlib and domain only.
    "counter_tui.command_edges",
)
# The wiring each module is named for, on top of ALLOWED.
WIRING = {
    "wiring.py": ("counter_tui.store", "counter_tui.sync.client", "counter_tui.launch"),
    "start.py": (
        "counter_tui.ui",
        "counter_tui.launch",
        "counter_tui.store",
        "counter_tui.slips",
        "counter_tui.logs",
        "counter_tui.demo",
        "counter_tui.web",
    ),
    # The centre has no use-case layer: its commands call its database.
    "centre.py": ("counter_tui.central", "counter_tui.logs"),
}
FORBIDDEN_LIBRARIES = ("tinydb", "httpx")
FORBIDDEN_ATTRIBUTES = {"store", "_store", "client", "_client"}


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def leaks(source: str, name: str) -> list[str]:
    allowed = ALLOWED + WIRING.get(Path(name).name, ())
    wiring = Path(name).name in WIRING

    def bad(module: str) -> bool:
        if module.startswith("counter_tui"):
            return not _within(module, allowed)
        return not wiring and _within(module, FORBIDDEN_LIBRARIES)

    out = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            out += [f"{name}:{node.lineno} import {a.name}" for a in node.names if bad(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # ``from counter_tui import logs`` names the module in the alias
            modules = (
                [f"{node.module}.{a.name}" for a in node.names]
                if node.module == "counter_tui"
                else [node.module]
            )
            out += [f"{name}:{node.lineno} from {m} import ..." for m in modules if bad(m)]
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            out.append(f"{name}:{node.lineno} .{node.attr}")
    return out


def test_no_cli_module_reaches_the_store_or_the_http_client_outside_the_wiring():
    sources = sorted(CLI.rglob("*.py"))
    assert {p.name for p in sources} >= {"parser.py", "counter.py", "centre.py", *WIRING}
    found = [leak for p in sources for leak in leaks(p.read_text("utf-8"), str(p.relative_to(CLI)))]
    assert found == []


def test_the_guard_catches_each_kind_of_leak():
    # The check above passes on clean code; this shows it fails on each kind of leak.
    assert leaks("from counter_tui.store.local import LocalStore", "counter.py")
    assert leaks("from counter_tui.sync.client import CentralClient", "counter.py")
    assert leaks("import counter_tui.sync.repair", "counter.py")  # an adapter nobody listed
    assert leaks("from counter_tui.launch import open_store", "centre.py")
    assert leaks("from counter_tui import launch", "counter.py")
    assert leaks("from counter_tui.ui.app import build_app", "counter.py")
    assert leaks("import httpx", "counter.py")
    assert leaks("from tinydb import Query", "lookups.py")
    assert leaks("repair._store.audit({})", "counter.py")
    # ... and lets through what each module is there for.
    assert not leaks("from counter_tui.usecases.auth import SignIn", "counter.py")
    assert not leaks("from counter_tui.store.engine.lock import StoreLockedError", "wiring.py")
    assert not leaks("from counter_tui.ui.app import build_app", "start.py")
    assert not leaks("from counter_tui.central.db import CentralDB", "centre.py")
    assert not leaks("from counter_tui import logs", "centre.py")


def test_loading_the_command_loads_no_store_client_or_screens():
    """``counter-tui id ...`` answers at once: the parser imports the command modules, and
    they import what they need inside each command."""
    import subprocess
    import sys

    probe = (
        "import sys, counter_tui.cli\n"
        "heavy = ('textual', 'tinydb', 'httpx', 'counter_tui.store', 'counter_tui.ui',"
        " 'counter_tui.central', 'sqlalchemy')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"

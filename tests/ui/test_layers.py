"""The screens call use cases only: no module under counter_tui/ui/ imports the store, the
HTTP client, TinyDB or httpx, or reaches them through an attribute (``services.desk.store``)."""

from __future__ import annotations

import ast
from pathlib import Path

import counter_tui.ui

UI = Path(counter_tui.ui.__file__).parent
FORBIDDEN_MODULES = ("counter_tui.store", "counter_tui.sync.client", "tinydb", "httpx")
FORBIDDEN_ATTRIBUTES = {"store", "_store", "client", "_client"}


def _forbidden(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in FORBIDDEN_MODULES)


def leaks(source: str, name: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            out += [
                f"{name}:{node.lineno} import {a.name}" for a in node.names if _forbidden(a.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and _forbidden(node.module):
            out.append(f"{name}:{node.lineno} from {node.module} import ...")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            out.append(f"{name}:{node.lineno} .{node.attr}")
    return out


def test_no_ui_module_reaches_the_store_or_the_http_client():
    sources = sorted(UI.rglob("*.py"))
    assert len(sources) >= 10  # the walk really found the screens
    found = [leak for p in sources for leak in leaks(p.read_text("utf-8"), str(p.relative_to(UI)))]
    assert found == []


def test_the_guard_catches_each_kind_of_leak():
    # The check above passes on clean code; this shows it would fail on each kind of leak.
    assert leaks("from counter_tui.store.directory import Summary", "x.py")
    assert leaks("import counter_tui.sync.client", "x.py")
    assert leaks("from httpx import Client", "x.py")
    assert leaks("self.services.desk.store.recent(200)", "x.py")
    assert leaks("self.services.sync.client.citizen_dossiers(cid)", "x.py")
    assert not leaks("from counter_tui.sync.state import Connection", "x.py")
    assert not leaks("self.services.desk.recent(200)", "x.py")

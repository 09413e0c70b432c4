"""The central service stands alone: nothing under counter_tui/central/ imports the counter's
screens, its store or its sync engine (the two sides share only the domain's wire types)."""

from __future__ import annotations

import ast
from pathlib import Path

import counter_tui.central

CENTRAL = Path(counter_tui.central.__file__).parent
FORBIDDEN = ("counter_tui.ui", "counter_tui.store", "counter_tui.sync", "counter_tui.usecases")


def imports_above(source: str, name: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source, name)):
        modules = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom) and node.module
            else []
        )
        out += [
            f"{name}:{node.lineno} {m}"
            for m in modules
            if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)
        ]
    return out


def test_the_centre_imports_nothing_of_the_counter_side():
    sources = sorted(CENTRAL.rglob("*.py"))
    assert len(sources) >= 5  # the walk really found the service
    found = [
        x for p in sources for x in imports_above(p.read_text("utf-8"), str(p.relative_to(CENTRAL)))
    ]
    assert found == []


def test_the_guard_catches_an_import_of_the_counter_side():
    assert imports_above("from counter_tui.store.local import LocalStore", "x.py")
    assert imports_above("import counter_tui.sync.client", "x.py")
    assert not imports_above("from counter_tui.domain.dossier import Dossier", "x.py")


def test_the_data_layer_is_one_small_module_per_aggregate():
    """The centre's data layer grew into one class owning every kind of data (issue 21): it is
    a package of repositories now, and each module stays small and says why it exists."""
    modules = sorted((CENTRAL / "db").glob("*.py"))
    names = {p.stem for p in modules}
    for aggregate in ("clients", "dossiers", "feed", "catalog", "holidays", "clerks", "audit"):
        assert aggregate in names
    assert {"files", "offices", "transaction", "batch"} <= names
    for p in modules:
        source = p.read_text("utf-8")
        assert len(source.splitlines()) <= 600, p.name
        assert ast.get_docstring(ast.parse(source)), p.name

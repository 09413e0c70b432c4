"""The domain core imports no UI, storage or network library, nor anything above it."""

import subprocess
import sys
from pathlib import Path

import counter_tui.domain

DOMAIN = Path(counter_tui.domain.__file__).parent


def domain_modules() -> list[str]:
    """Every module of the domain package found on disk (a new one is covered by itself)."""
    return sorted(
        "counter_tui.domain" + ("" if p.stem == "__init__" else "." + p.stem)
        for p in DOMAIN.glob("*.py")
    )


def test_the_walk_finds_every_domain_module():
    names = domain_modules()
    assert "counter_tui.domain.dossier" in names and "counter_tui.domain.report" in names
    assert len(names) == len(list(DOMAIN.glob("*.py")))


def test_importing_the_domain_loads_no_ui_storage_or_network_library():
    code = (
        "import importlib, sys\n"
        f"for name in {domain_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "banned = ('textual', 'tinydb', 'httpx', 'counter_tui.store', 'counter_tui.sync',\n"
        "          'counter_tui.ui', 'counter_tui.usecases', 'counter_tui.central')\n"
        "print(sorted(m for m in sys.modules if m in banned or m.startswith(\n"
        "    tuple(b + '.' for b in banned))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

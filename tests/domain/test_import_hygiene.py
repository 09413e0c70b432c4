"""The domain core imports no UI, storage or network library."""

import subprocess
import sys


def test_importing_the_domain_loads_neither_textual_tinydb_nor_httpx():
    code = (
        "import sys, counter_tui.domain.citizen_id, counter_tui.domain.catalog, "
        "counter_tui.domain.calendar, counter_tui.domain.dossier, counter_tui.domain.codes, "
        "counter_tui.domain.text;"
        "print(sorted(m for m in ('textual', 'tinydb', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

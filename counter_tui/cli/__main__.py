"""``python -m counter_tui.cli``: the ``counter-tui`` command (the tests run it so)."""

import sys

from counter_tui.cli import main

sys.exit(main())

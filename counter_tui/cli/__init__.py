"""The ``counter-tui`` command: the parser, the counter's commands, the centre's commands.

Commands call use cases (``usecases/``) and the domain; what they work on (the
settings, the counter's cache, the HTTP client) is opened in ``wiring.py``, and the
app itself is started in ``start.py``: the two modules that may import the layers
below the use cases (``tests/cli/test_layers.py``). What a command prints goes
through ``voice.py``, in the language of the screens. Heavy imports stay inside the
commands, so ``counter-tui id ...`` loads neither Textual nor the store.
"""

from counter_tui.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]

"""The footer every screen shows: Textual's Footer, without the watchers it leaves behind.

Textual's Footer rebuilds its keys whenever the bindings change (each focus move, each
screen switch), and each new key watches the footer's ``compact`` through ``data_bind``.
Textual drops the watchers of removed keys only when ``compact`` itself changes, which it
never does here: every rebuild kept ~20 removed keys alive, ~80 a lookup round, and the
footer's watcher list (scanned on each add) grew without end. Measured in a 5-minute
Pilot loop at 100k dossiers: +2 MB of RSS a round, all in detached ``FooterKey`` widgets.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

# The name Textual's reactive module stores an object's watchers under (textual/reactive.py,
# ``_watch``); Textual is pinned exactly in pyproject.toml, this being one reason.
_WATCHERS = "__watchers"


class CounterFooter(Footer):
    """Footer that forgets the removed keys' watchers each time it rebuilds its keys."""

    def compose(self) -> ComposeResult:
        # recompose() has removed the old keys before calling compose: a watcher whose
        # node is no longer in the DOM belongs to one of them.
        for watchers in getattr(self, _WATCHERS, {}).values():
            watchers[:] = [(node, cb) for node, cb in watchers if node.is_attached]
        yield from super().compose()

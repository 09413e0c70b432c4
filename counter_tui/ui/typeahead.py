"""Type-ahead that lands where the clerk meant it.

Textual hands each key to the focused widget's queue and takes the next key at
once. Keys typed right behind one that moves the focus or changes the screen
therefore reach the old field: typed in one burst, ``abc<Tab>def`` all landed
in the name field, and digits typed right after F2 went into the lookup's
search box instead of the receive form's ID field. A clerk who knows the form
by heart types ahead like that, and a busy PC queues keys the same way.

So after any key that is not plain text (Tab, Enter, Esc, F-keys, Ctrl+…), the
keys behind it wait until it has been handled all the way up to the app (a
marker message follows it through the same widgets, twice: the second one
follows what the key's handling posted, such as an Input's Submitted that moves
to the next field) and, when it opened another screen, until that screen has
put the cursor somewhere. Then they are
taken in order. No key waits longer than ``LIMIT``; in practice a few milliseconds, or
until the new screen is drawn. An app may hold them longer (up to ``HOLD_LIMIT``) while
``typing_held()`` says so: the counter app, while F2 waits for the store to open.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from textual import events
from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen

from counter_tui.domain.text import one_line

ROUNDS = 2  # a key's handler may post a message (Input.Submitted) that moves the focus
LIMIT = 1.0  # seconds; only a marker that went missing for an unforeseen reason waits this long
HOLD_LIMIT = 15.0  # seconds; while the app says typing_held() (a store still opening)
WATCH = 0.05  # seconds between looks at whether the marker's widget is gone (Esc on a dialog)


class KeyDone(Message):
    """Sent behind a key to the widget it went to; it bubbles to the app after the key."""


class TypeAhead:
    def __init__(
        self,
        app: App[Any],
        dispatch: Callable[[events.Key], Awaitable[None]],
        held_by_app: Callable[[], bool] = lambda: False,
    ) -> None:
        self.app = app
        self.dispatch = dispatch
        self.held_by_app = held_by_app
        self.held: list[events.Key] | None = None
        self.marker: KeyDone | None = None
        self.screen: Screen[object] | None = None
        self.target: MessagePump | None = None
        self.rounds = 0
        self.since = 0.0

    async def take(self, event: events.Key) -> None:
        if self.held is not None:
            self.held.append(event)
            return
        target = self.app.focused or self.app.screen
        self.screen = self.app.screen
        await self.dispatch(event)
        if event.is_printable:
            return
        self.held, self.target, self.rounds, self.since = [], target, 0, time.monotonic()
        if not self._follow():
            await self._release()  # the widget is closing: nothing to wait for

    def _follow(self) -> bool:
        """Send a marker behind whatever the target's queue holds now."""
        target = self.target
        if target is None:
            return False
        marker = KeyDone()
        if not target.post_message(marker):
            return False
        self.marker, self.rounds = marker, self.rounds + 1
        self.app.set_timer(WATCH, lambda: self._watch(marker, target))
        return True

    async def done(self, marker: KeyDone) -> None:
        """Everything queued ahead of ``marker`` has been handled by every widget it reached."""
        if marker is not self.marker:
            return
        if self.rounds < ROUNDS and self._follow():
            return
        await self._settle(marker)

    async def _settle(self, marker: KeyDone) -> None:
        if marker is not self.marker:
            return
        if self.held_by_app() and time.monotonic() - self.since < HOLD_LIMIT:
            self.app.set_timer(WATCH / 2, partial(self._settle, marker))
            return
        new_screen = self.app.screen is not self.screen
        if new_screen and self.app.focused is None and time.monotonic() - self.since < LIMIT:
            # The new screen is still mounting; its first field takes focus when it resumes.
            self.app.call_after_refresh(self._settle, marker)
            return
        await self._release()

    async def _watch(self, marker: KeyDone, target: MessagePump) -> None:
        if marker is not self.marker:
            return
        if not (target.is_attached and target.is_running):
            # Its widget was removed with the marker still queued (a closed dialog).
            await self._settle(marker)
        elif time.monotonic() - self.since > (HOLD_LIMIT if self.held_by_app() else LIMIT):
            await self._release()
        else:
            self.app.set_timer(WATCH, lambda: self._watch(marker, target))

    async def _release(self) -> None:
        held, self.held, self.marker, self.target = self.held or [], None, None, None
        for event in held:
            await self.take(event)  # a non-text key among them holds the rest again


class TypesAhead:
    """For an app: keys typed ahead land where the clerk meant (above), and a pasted
    block becomes one line (every field is one line: its words kept, control
    characters and colour codes never reach a field; ``domain/text.one_line``)."""

    typeahead: TypeAhead

    def start_typeahead(self) -> None:
        assert isinstance(self, App)
        self.typeahead = TypeAhead(self, partial(App.on_event, self), self.typing_held)

    async def on_event(self, event: events.Event) -> None:
        assert isinstance(self, App)
        self.note_input(event)
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.typeahead.take(event)
            return
        if isinstance(event, events.Paste):
            event.text = one_line(event.text)
        await App.on_event(self, event)

    def note_input(self, event: events.Event) -> None:
        """Called for every event before it is handled (the idle lock watches keys)."""

    def typing_held(self) -> bool:
        """True while keys typed ahead must wait longer than a key's handling."""
        return False

    async def on_key_done(self, message: KeyDone) -> None:
        await self.typeahead.done(message)

"""What the app tells its screens, as Textual messages (issue 21.4).

Threads (the store opening, the sync engine, the uploader, a screen's worker) never call
into a screen: the app posts one of these (``post_message`` is safe from any thread),
handles it on its own thread, and posts a fresh one to each screen of the current stack,
which handles it with ``@on``. None of them bubble: the app is the one that tells.
"""

from __future__ import annotations

from textual.message import Message

from counter_tui.usecases.connection import Changed


class StoreOpened(Message, bubble=False):
    """Posted from the opening thread to the app: the services are open, or could not be."""


class StoreReady(Message, bubble=False):
    """To a screen: the store is open; answer what was typed while it opened."""


class StoreFailed(Message, bubble=False):
    """To a screen: the store could not be opened; ``words`` say so to the clerk."""

    def __init__(self, words: str) -> None:
        super().__init__()
        self.words = words


class ConnectionChanged(Message, bubble=False):
    """The connection changed (``what``): the engine's state or counts, the uploads, or an
    operation marked handled. A burst (a chunk a second while a scan goes) is drawn once:
    a queued message of the same kind replaces the older one."""

    def __init__(self, what: Changed) -> None:
        super().__init__()
        self.what = what

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ConnectionChanged) and message.what is self.what

"""The audit-log check an operator runs on a counter PC (``counter-tui audit verify``).

First the chain on its own (every link, and the head kept apart), then, when the
counter has a central service, against the heads the centre kept of this
counter's pushes: a chain cut short whose kept head was rewritten to match
passes the first check and fails the second. The rules are the domain's
(``domain/audit_chain.py``); this module only fetches what they compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from counter_tui.domain.audit_chain import against_anchors, break_words
from counter_tui.domain.messages import Msg

if TYPE_CHECKING:  # the caller's wiring opens both; this module never does
    from counter_tui.store.local import LocalStore
    from counter_tui.sync.client import CentralClient


@dataclass(frozen=True)
class LocalChain:
    """The counter's chain as its own check found it."""

    checked: int  # entries found good, in order
    problem: Msg | None  # the first broken link, or None when intact
    entries: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class CentreCheck:
    """The chain against the heads the centre kept."""

    heads: int  # how many heads the centre kept
    problem: Msg | None


def check_local_chain(store: LocalStore) -> LocalChain:
    """Read-only: the caller may abandon the store afterwards (no checkpoint needed)."""
    checked, problem = store.audit.verify()
    entries = tuple(store.audit.entries())
    return LocalChain(checked, break_words(problem) if problem else None, entries)


def check_against_centre(chain: LocalChain, client: CentralClient) -> CentreCheck:
    """Ask the centre for the heads it kept (the client's errors propagate: the caller
    says the centre could not be asked)."""
    anchors = client.audit_anchors()
    return CentreCheck(len(anchors), against_anchors(chain.entries, anchors))

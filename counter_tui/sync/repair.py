"""The operator's repair of an outbox gap (``counter-tui sync repair``).

A gap is the state ``gap`` on F5: the centre waits for operation N, and this counter no
longer holds it (its outbox lost it), so nothing after it can be sent. Retrying cannot
help. The repair asks the centre how far it got, then gives the operations this counter
still holds consecutive numbers from the one the centre expects; the missing ones are
lost, and the repair says exactly which numbers, on screen and in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from counter_tui.store.local import LocalStore
from counter_tui.sync.client import CentralClient


@dataclass
class GapPlan:
    centre_last: int  # the last operation number the centre has from this counter
    local_last: int  # the last number this counter gave
    missing: list[int] = field(default_factory=list)  # after centre_last, not held here
    held: int = 0  # operations after centre_last this counter still holds

    @property
    def needed(self) -> bool:
        return bool(self.missing) and self.centre_last <= self.local_last

    @property
    def ahead(self) -> bool:
        """The centre has numbers this counter never gave: a clone or an old backup, not a
        gap; renumbering would hide the problem, so the repair refuses."""
        return self.centre_last > self.local_last


def ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    out: list[str] = []
    start = prev = None
    for n in [*numbers, None]:
        if n is not None and prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
        start = prev = n
    return ", ".join(out)


def plan_gap_repair(store: LocalStore, client: CentralClient) -> GapPlan:
    """Read-only: what the repair would do. Asks the centre (one pull of one change)."""
    centre_last = int(client.pull(None, limit=1).body.get("last_seq", 0))
    local_last = store.outbox.last_seq()
    plan = GapPlan(centre_last, local_last)
    for seq in range(centre_last + 1, local_last + 1):
        if store.outbox.get(seq) is None:
            plan.missing.append(seq)
        else:
            plan.held += 1
    return plan


def repair_gap(store: LocalStore, plan: GapPlan, actor: str = "operator") -> list[tuple[int, int]]:
    """Carry out ``plan``: renumber what is held, audit what is lost. Returns the moves."""
    if not plan.needed:
        return []
    with store.transaction():
        if plan.centre_last > store.outbox.acked_seq():
            store.outbox.ack_through(
                plan.centre_last
            )  # the centre has these; its answers were lost
        missing, moved = store.outbox.renumber_pending(plan.centre_last + 1)
        store.audit.append(
            {
                "actor": actor,
                "action": "sync.repair_gap",
                "target": f"ops {ranges(missing)}",
                "lost": len(missing),
                "renumbered": len(moved),
                "centre_last": plan.centre_last,
            }
        )
    return moved

"""Memory over a clerk's day in the real app: screens opened and closed leave nothing behind.

Textual's Footer rebuilds its keys on every focus move and screen switch, and each key
watched the footer through a watcher Textual never dropped: a 5-minute Pilot loop of
lookups at 100k dossiers grew by about 2 MB a round, all in removed footer keys
(counter_tui/ui/widgets/footer.py). The store no longer freezes the GC on every shard
load either (store/engine/gc_policy.py), which had kept every closed dossier screen alive.
"""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey

from counter_tui.ui.screens.dossier import DossierScreen
from counter_tui.ui.screens.lookup import LookupScreen
from tests.ui.test_typeahead import burst, one_dossier


def _alive(kind: type) -> int:
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


async def _round(pilot) -> None:
    await burst(pilot, "f3", "031090123456", "down", "enter")
    assert isinstance(pilot.app.screen, DossierScreen)
    await burst(pilot, "escape")
    assert isinstance(pilot.app.screen, LookupScreen)


async def test_looking_up_and_opening_dossiers_all_day_leaves_no_widgets_behind(
    app, services, clock
):
    one_dossier(services, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(3):  # caches and the first screens settle
            await _round(pilot)
        keys, screens = _alive(FooterKey), _alive(DossierScreen)
        for _ in range(12):
            await _round(pilot)
        # Before the fix: about 20 more footer keys a round, every closed screen kept.
        assert _alive(FooterKey) <= keys + 20
        assert _alive(DossierScreen) <= screens + 1

"""The binding ids a counter may remap in its settings' ``[keys]``, and the check of them.

Every key of the app is a ``Binding`` with an id on a class of this package;
the valid ids are read off those classes, so a new binding is remappable (and
listed in the error) without anyone writing it down twice.
"""

from __future__ import annotations

import importlib
import pkgutil

from textual.binding import Binding
from textual.dom import DOMNode

import counter_tui.ui
from counter_tui.domain.messages import Msg
from counter_tui.usecases.setup import SettingsError


def _subclasses(cls: type) -> list[type]:
    out: list[type] = []
    subs: list[type] = cls.__subclasses__()
    for sub in subs:
        out += [sub, *_subclasses(sub)]
    return out


def binding_ids() -> list[str]:
    """Every binding id declared on the app, its screens, dialogs and widgets."""
    for mod in pkgutil.walk_packages(counter_tui.ui.__path__, "counter_tui.ui."):
        importlib.import_module(mod.name)
    ids = {
        b.id
        for cls in _subclasses(DOMNode)
        if cls.__module__.startswith("counter_tui.ui.")
        for b in cls.__dict__.get("BINDINGS", [])
        if isinstance(b, Binding) and b.id
    }
    return sorted(ids)


def check_keys(keys: dict[str, str], shown: str = "(settings)") -> None:
    """Refuse a ``[keys]`` entry that names no binding, listing the ones there are."""
    valid = binding_ids()
    unknown = sorted(k for k in keys if k not in valid)
    if unknown:
        names = ", ".join(unknown)
        listing = ", ".join(valid)
        raise SettingsError(
            "settings.keys",
            Msg(
                f"{shown}: [keys] {names}: không có mã phím này; các mã hợp lệ: {listing}",
                f"{shown}: [keys] {names}: no such binding id; valid ids: {listing}",
            ),
            "[keys]",
        )

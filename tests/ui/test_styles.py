"""Screens take their CSS from ``.tcss`` files beside them (``CSS_PATH``); ``DEFAULT_CSS``,
which Textual means for reusable widgets, stays on the widgets. The files are inside the
package, so the wheel (hatch ships the whole ``counter_tui`` folder) carries them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.screen import Screen

import counter_tui.ui.screens as screens_pkg

PACKAGE = Path(screens_pkg.__file__).parent.parent.parent


def screen_classes() -> list[type[Screen]]:
    found = []
    for info in pkgutil.iter_modules(screens_pkg.__path__):
        module = importlib.import_module(f"{screens_pkg.__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def test_every_screen_styles_from_a_tcss_file_in_the_package():
    classes = screen_classes()
    assert len(classes) >= 12  # the flows, the dialogs, help, sign-in, setup
    inline = [c.__name__ for c in classes if "DEFAULT_CSS" in c.__dict__]
    assert inline == [], f"screens with inline CSS: {inline}"
    for cls in classes:
        paths = cls.CSS_PATH if isinstance(cls.CSS_PATH, list) else [cls.CSS_PATH]
        for path in filter(None, paths):
            where = Path(inspect.getfile(cls)).parent / path
            assert where.is_file(), (cls.__name__, path)
            assert where.resolve().is_relative_to(PACKAGE.resolve()), where

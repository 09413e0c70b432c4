"""The screens call use cases only (issue 21.4).

A module under counter_tui/ui/ may import, from this project, only
``counter_tui.usecases.*``, ``counter_tui.domain.*`` and ``counter_tui.ui.*``: an allow
list, so an adapter added later (a printer, a card reader, a second engine) is refused
without anyone adding it to a list. TinyDB and httpx are refused by name too (they are
outside the project). And no attribute chain reaches an adapter through the services:
``services.<name>`` must name one of the doors below, each checked to be a use case.
"""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import counter_tui.ui
import counter_tui.usecases.services as services_module
from counter_tui.usecases.services import Services

UI = Path(counter_tui.ui.__file__).parent
ALLOWED_PACKAGES = ("counter_tui.usecases", "counter_tui.domain", "counter_tui.ui")
FORBIDDEN_OUTSIDE = ("tinydb", "httpx")
# What a screen may name on the services; every one is checked below to be a use case
# (or the settings' values, the clock, the services' own start and stop).
DOORS = {
    "desk",
    "paperwork",
    "scans",
    "centre",
    "link",
    "signin",
    "settings",
    "clock",
    "start_background",
    "stop_background",
}
# The adapters' usual names, refused at any depth: ``s = self.services; s.sync...`` would
# get past the check on ``services.<name>``.
ADAPTER_ATTRIBUTES = {"store", "client", "sync", "uploader", "engine"}
IMPORTERS = {"import_module", "__import__"}


def _refused(module: str) -> bool:
    if module == "counter_tui" or module.startswith("counter_tui."):
        return not any(module == p or module.startswith(p + ".") for p in ALLOWED_PACKAGES)
    return any(module == m or module.startswith(m + ".") for m in FORBIDDEN_OUTSIDE)


def _absolute(name: str, level: int, module: str | None) -> str:
    """The module a relative import in ``name`` (a path under ui/) means."""
    package = ["counter_tui", "ui", *Path(name).parts[:-1]]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, *([module] if module else [])])


def _names_services(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "services") or (
        isinstance(node, ast.Attribute) and node.attr == "services"
    )


def leaks(source: str, name: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            out += [f"{name}:{node.lineno} import {a.name}" for a in node.names if _refused(a.name)]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = _absolute(name, node.level, node.module)
            if _refused(module):
                out.append(f"{name}:{node.lineno} from {module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in IMPORTERS and node.args:
                arg = node.args[0]
                literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                if literal and _refused(str(arg.value)):
                    out.append(f"{name}:{node.lineno} {called}({arg.value!r})")
        elif isinstance(node, ast.Attribute):
            bare = node.attr.lstrip("_")
            if bare in ADAPTER_ATTRIBUTES:
                out.append(f"{name}:{node.lineno} .{node.attr}")
            elif _names_services(node.value) and node.attr not in DOORS:
                out.append(f"{name}:{node.lineno} services.{node.attr} (not a use case)")
    return out


def test_no_ui_module_reaches_below_the_use_cases():
    sources = sorted(UI.rglob("*.py"))
    assert len(sources) >= 10  # the walk really found the screens
    found = [leak for p in sources for leak in leaks(p.read_text("utf-8"), str(p.relative_to(UI)))]
    assert found == []


def test_the_guard_catches_each_kind_of_leak():
    # The check above passes on clean code; this shows it would fail on each kind of leak.
    assert leaks("from counter_tui.store.directory import Summary", "x.py")
    assert leaks("import counter_tui.sync.client", "x.py")
    assert leaks("from counter_tui.sync.state import Connection", "x.py")  # sync/, any of it
    assert leaks("from counter_tui.sync import engine", "x.py")
    assert leaks("from counter_tui.settings import Settings", "x.py")
    assert leaks("from counter_tui.slips.output import Delivered", "x.py")
    assert leaks("from counter_tui.launch import make_services", "x.py")
    # A module nobody has written yet is refused too: the rule is an allow list.
    assert leaks("from counter_tui.printer import Printer", "x.py")
    assert leaks("import counter_tui", "x.py")
    assert leaks("from httpx import Client", "x.py")
    assert leaks("import tinydb", "x.py")
    assert leaks("from ...store import LocalStore", "screens/x.py")
    assert leaks("from ... import launch", "screens/x.py")
    assert leaks("importlib.import_module('counter_tui.sync.engine')", "x.py")
    assert leaks("self.services.desk.store.recent(200)", "x.py")
    assert leaks("self.services.sync.sync_once()", "x.py")
    assert leaks("self.services.sync.client.citizen_dossiers(cid)", "x.py")
    assert leaks("self.counter_app.services.uploader.status()", "x.py")
    assert leaks("services = self.services\nservices.sync.refresh_conflicts()", "x.py")
    assert leaks("s = self.services\ns.sync.refresh_conflicts()", "x.py")
    assert leaks("self.services.printer.print(slip)", "x.py")  # a new adapter member
    assert leaks("sync = self.services.link._sync", "x.py")
    # What the screens do use stays allowed.
    assert not leaks("from counter_tui.usecases.connection import Changed", "x.py")
    assert not leaks("from counter_tui.domain.summary import Summary", "x.py")
    assert not leaks("from counter_tui.ui.i18n import t", "x.py")
    assert not leaks("from .base import CounterScreen", "screens/x.py")
    assert not leaks("import counter_tui.ui.screens.sync", "x.py")
    assert not leaks("importlib.import_module(mod.name)", "keys.py")
    assert not leaks("self.services.desk.recent(200)", "x.py")
    assert not leaks("self.services.link.sync_now()", "x.py")
    assert not leaks("self.counter_app.opening.services.signin", "x.py")


def _door_types() -> dict[str, object]:
    """Each door's declared type, the names imported for type checking only resolved."""
    tree = ast.parse(Path(services_module.__file__).read_text("utf-8"))
    namespace = dict(vars(services_module))
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            exec(compile(ast.Module(node.body, []), "services.py", "exec"), namespace)
    fields = typing.get_type_hints(Services, globalns=namespace)
    types: dict[str, object] = {}
    for door in DOORS:
        member = Services.__dict__.get(door)
        if door in fields:
            types[door] = fields[door]
        elif hasattr(member, "func"):  # a cached_property: what it returns
            types[door] = typing.get_type_hints(member.func, globalns=namespace)["return"]
        else:
            types[door] = member
    return types


def test_every_door_on_the_services_is_a_use_case():
    from counter_tui.settings import Settings

    for door, declared in _door_types().items():
        if callable(declared) and getattr(declared, "__qualname__", "").startswith("Services."):
            continue  # start_background, stop_background: the services' own methods
        if door == "clock":
            assert typing.get_origin(declared) is not None, declared  # Callable[[], datetime]
            continue
        kinds = [k for k in typing.get_args(declared) or (declared,) if k is not type(None)]
        assert kinds, door
        for kind in kinds:
            module = getattr(kind, "__module__", "")
            assert kind is Settings or module.startswith("counter_tui.usecases."), (door, kind)
    # The adapters are on the services (for wiring and tests), and no door is one of them.
    adapters = {"store", "sync", "uploader"}
    assert adapters <= set(Services.__dataclass_fields__) and not adapters & DOORS

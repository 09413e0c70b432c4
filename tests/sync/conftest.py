"""A real central service per test, on each engine: SQLite, and PostgreSQL where a server
answers (see tests/support/central.py)."""

from __future__ import annotations

import pytest

from tests.support.central import ENGINES, OFFICE, CentralProcess, db_target
from tests.support.proxy import FaultProxy


@pytest.fixture(params=ENGINES)
def engine(request):
    """The central engine this test runs on: ``sqlite`` or ``postgresql``."""
    return request.param


@pytest.fixture
def central_db(engine, tmp_path):
    """The test's own centre database: a SQLite file, or a fresh PostgreSQL database."""
    with db_target(engine, tmp_path) as target:
        yield target


@pytest.fixture
def central(central_db, tmp_path):
    c = CentralProcess(central_db, files=tmp_path / "central-files")
    c.db.offices.add(OFFICE, "UBND xã Quảng Phú")
    c.start()
    yield c
    c.close()


@pytest.fixture
def tokens(central):
    q1, t1 = central.db.clients.add(OFFICE, "Q1")
    q2, t2 = central.db.clients.add(OFFICE, "Q2")
    _bo, tb = central.db.clients.add(OFFICE, "Tư pháp", role="backoffice")
    return {"q1": (q1, t1), "q2": (q2, t2), "bo": tb}


@pytest.fixture
def proxy(central):
    p = FaultProxy(central.port)
    yield p
    p.close()

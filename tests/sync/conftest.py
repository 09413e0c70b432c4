from __future__ import annotations

import pytest

from tests.support.central import OFFICE, CentralProcess
from tests.support.proxy import FaultProxy


@pytest.fixture
def central(tmp_path):
    c = CentralProcess(tmp_path / "central.sqlite3")
    c.db.add_office(OFFICE, "UBND xã Quảng Phú")
    c.start()
    yield c
    c.stop()


@pytest.fixture
def tokens(central):
    q1, t1 = central.db.add_client(OFFICE, "Q1")
    q2, t2 = central.db.add_client(OFFICE, "Q2")
    _bo, tb = central.db.add_client(OFFICE, "Tư pháp", role="backoffice")
    return {"q1": (q1, t1), "q2": (q2, t2), "bo": tb}


@pytest.fixture
def proxy(central):
    p = FaultProxy(central.port)
    yield p
    p.close()

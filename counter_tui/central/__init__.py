"""The reference central service: a real HTTP service the counters sync with.

``db`` is the data layer (every SQL statement of the centre, one repository per aggregate
over one shared transaction) on SQLite (WAL, one file, the default) or PostgreSQL
(``engines``), over the tables of ``schema`` kept current by the Alembic ``migrations``
(``migrate``); ``service`` applies counter operations and back-office
actions through the domain's state machine; ``app`` is the FastAPI application, ``serving``
how uvicorn runs it; ``copy`` moves a centre between databases. Imports only the domain.
"""

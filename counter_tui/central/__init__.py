"""The reference central service: a real HTTP service the counters sync with.

``db`` holds the state in SQLite (WAL, one file) behind :class:`CentralDB`,
the interface a PostgreSQL backend would implement; ``service`` applies
counter operations and back-office actions through the domain's state
machine; ``app`` is the FastAPI application. Imports only the domain.
"""

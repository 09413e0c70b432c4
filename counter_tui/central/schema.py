"""The centre's tables, as SQLAlchemy Core sees them (the same on SQLite and PostgreSQL).

The migrations in ``migrations/versions`` create and change these tables; this module is what
the queries are written against. Documents are stored as the JSON bytes the counters pull,
so a pull copies them out without parsing them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("k", Text, primary_key=True),
    Column("v", Text, nullable=False),
)

offices = Table(
    "offices",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("next_slot", Integer, nullable=False, server_default="1"),
    # The office's change-feed counter: bumped (and so locked) by each write to its dossiers.
    Column("version", BigInteger, nullable=False, server_default="0"),
)

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office", Text, ForeignKey("offices.code"), nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("slot", Integer),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("last_seq", BigInteger, nullable=False, server_default="0"),
    Column("revoked", Integer, nullable=False, server_default="0"),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),
    CheckConstraint("role IN ('counter', 'backoffice')", name="clients_role"),
    sqlite_autoincrement=True,
)

dossiers = Table(
    "dossiers",
    metadata,
    Column("uid", Text, primary_key=True),
    Column("office", Text, nullable=False),
    Column("code", Text, nullable=False, unique=True),
    Column("citizen_id", Text),
    Column("version", BigInteger, nullable=False),
    Column("doc", LargeBinary, nullable=False),
    Column("received_at_server", Float, nullable=False),
    # Receipt regardless of boundary: the office that handles the dossier, when not the one
    # that received it, and the dossier's place in that office's feed (its own counter,
    # bumped with each write; NULL while that office is not registered here).
    Column("handling_office", Text),
    Column("handling_version", BigInteger),
    Index("dossiers_feed", "office", "version"),
    Index("dossiers_citizen", "office", "citizen_id"),
    Index("dossiers_routed", "handling_office", "handling_version"),
)

ops = Table(
    "ops",
    metadata,
    Column("client_id", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("op_id", Text, nullable=False),
    Column("uid", Text),
    Column("result", LargeBinary, nullable=False),
    Column("received_at", Float, nullable=False),
    PrimaryKeyConstraint("client_id", "seq"),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", Text),
    Column("client_id", Integer),
    Column("seq", BigInteger),
    Column("reason", Text, nullable=False),
    Column("op", LargeBinary, nullable=False),
    Column("at", Float, nullable=False),
    Column("office", Text),
    sqlite_autoincrement=True,
)

catalog = Table(
    "catalog",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("etag", Text),
    Column("body", LargeBinary),
    CheckConstraint("id = 1", name="catalog_one_row"),
)

clerks = Table(
    "clerks",
    metadata,
    Column("office", Text, ForeignKey("offices.code"), nullable=False),
    Column("username", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("pin_hash", Text, nullable=False),
    Column("active", Integer, nullable=False, server_default="1"),
    Column("updated_at", Float, nullable=False),
    PrimaryKeyConstraint("office", "username"),
)

audit = Table(
    "audit",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),
    Column("hash", Text, nullable=False),
)

# What each counter's own audit chain looked like, as its pushes said: (entries, head hash).
# Kept outside the counter, a chain cut short and re-headed there no longer matches.
audit_anchors = Table(
    "audit_anchors",
    metadata,
    Column("client_id", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("head", Text, nullable=False),
    Column("at", Float, nullable=False),
    PrimaryKeyConstraint("client_id", "seq"),
)

# Decided days off, make-up working days and Tết breaks (centre-wide: decisions of the
# Government or the province), each with its source. Counters get the table with the catalog.
# ``day`` is the ISO date (for a Tết break its first day); ``last`` is a Tết break's last day.
holidays = Table(
    "holidays",
    metadata,
    Column("kind", Text, nullable=False),
    Column("day", Text, nullable=False),
    Column("last", Text),
    Column("year", Integer, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("source", Text, nullable=False),
    Column("added_at", Float, nullable=False),
    PrimaryKeyConstraint("kind", "day"),
    CheckConstraint("kind IN ('off', 'work', 'tet')", name="holidays_kind"),
)

# Which office holds which file (issue 14): a row once every byte of it arrived from one of
# the office's counters and hashed right. The bytes themselves are on disk, once for all
# offices (central/filestore.py); an office is served a file only through its own row here.
files = Table(
    "files",
    metadata,
    Column("office", Text, nullable=False),
    Column("sha", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("client_id", Integer, nullable=False),
    Column("received_at", Float, nullable=False),
    PrimaryKeyConstraint("office", "sha"),
)

"""Alembic migrations of the centre's database (run by :mod:`counter_tui.central.migrate`)."""

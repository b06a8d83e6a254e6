"""Alembic migrations of the whole erpsync database (see ``erpsync.database``)."""

"""Persistence: SQLAlchemy models, Alembic migrations, sessions and the unit of work."""

"""The demo ERP: a complete sandbox ERP with its own SQLite database, served through the SDK."""

from .connector import DemoConnector
from .database import DemoErpDatabase, database_path
from .seed import SeedStats, seed_database

__all__ = ["DemoConnector", "DemoErpDatabase", "SeedStats", "database_path", "seed_database"]

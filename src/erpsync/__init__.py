"""erpsync: an open-source ERP Sync server."""

__version__ = "0.1.0"

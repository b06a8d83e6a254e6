"""The HTTP API of erpsync (FastAPI): auth, the CRM's records, lists, users and groups."""

from .app import create_app

__all__ = ["create_app"]

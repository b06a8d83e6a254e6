"""A sync connector for the Tryton ERP, over trytond's JSON-RPC API."""

from .connector import TrytonConnector

__all__ = ["TrytonConnector"]

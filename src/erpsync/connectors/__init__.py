"""Connectors bundled with erpsync; importing this package registers them with the SDK."""

from . import demo, tryton  # noqa: F401

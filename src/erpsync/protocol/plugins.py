"""The in-process registry behind ``plugin://<name>`` connector URLs.

A handler takes an operation name and the JSON request body and returns ``(status, reply body)``,
exactly what the HTTP host would answer, so HTTP and in-process calls share everything above the
transport. Connectors are registered here by the SDK's host (``ConnectorHost.install_plugins``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["PluginHandler", "get_plugin", "register_plugin", "registered_plugins", "unregister_plugin"]

PluginHandler = Callable[[str, bytes], tuple[int, bytes]]

_handlers: dict[str, PluginHandler] = {}
_lock = threading.Lock()


def register_plugin(name: str, handler: PluginHandler) -> None:
    with _lock:
        _handlers[name] = handler


def unregister_plugin(name: str) -> None:
    with _lock:
        _handlers.pop(name, None)


def registered_plugins() -> list[str]:
    return sorted(_handlers)


def get_plugin(name: str) -> PluginHandler | None:
    return _handlers.get(name)

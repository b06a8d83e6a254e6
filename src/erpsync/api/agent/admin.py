"""The administrator's ErpSync agent methods (reference §6.1): sync connectors, ERP connections,
discovery, field and list mappings, defaults, rank, priority, the summary and engine settings.
Every one needs the administrator role. See ``docs/api.md``."""

from __future__ import annotations

from fastapi import APIRouter

from . import admin_connections, admin_engine, admin_import, admin_mappings
from .common import agent_error_responses

__all__ = ["router"]

router = APIRouter(responses=agent_error_responses(401, 403, 422))
router.include_router(admin_connections.router)
router.include_router(admin_mappings.router)
router.include_router(admin_engine.router)
router.include_router(admin_import.router)

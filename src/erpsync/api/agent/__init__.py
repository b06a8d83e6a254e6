"""The ErpSync agent API: ``POST /api/v1/Agents/ErpSync/<Method>`` for every method of reference §6.1."""

from __future__ import annotations

from fastapi import APIRouter

from . import admin, user

__all__ = ["agent_router"]


def agent_router() -> APIRouter:
    router = APIRouter(prefix="/Agents/ErpSync", tags=["ErpSync agent"])
    router.include_router(admin.router)
    router.include_router(user.router)
    return router

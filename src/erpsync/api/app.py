"""The FastAPI application of erpsync."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from erpsync import __version__
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import make_engine, make_session_factory
from erpsync.hub.service import Hub
from erpsync.settings import Settings
from erpsync.web.app import install_web

from . import auth, lists, users
from .agent import agent_router
from .agent.common import install_hub_error_handlers
from .errors import install_error_handlers
from .records import records_router

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (default: from the environment). The database must already be
    migrated (``erpsync db upgrade``)."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        hub.close()
        engine.dispose()

    app = FastAPI(
        title="erpsync",
        version=__version__,
        description="ERP Sync server: the CRM's records, lists, users and groups.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    secret_key = settings.secret_key.get_secret_value() if settings.secret_key else None
    connector_secret = settings.connector_secret.get_secret_value() if settings.connector_secret else None
    hub = Hub.create(
        app.state.session_factory,
        settings.data_dir,
        secret_key,
        connector_secret,
        allow_link_local=settings.allow_link_local_connectors,
    )
    app.state.hub = hub
    install_error_handlers(app)
    install_hub_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(auth.router)
    api.include_router(records_router(CrmEntity.company, "/companies"))
    api.include_router(records_router(CrmEntity.person, "/persons"))
    api.include_router(records_router(CrmEntity.project, "/projects"))
    api.include_router(lists.router)
    api.include_router(users.users_router)
    api.include_router(users.groups_router)
    api.include_router(agent_router())
    app.include_router(api)
    install_web(app)
    return app

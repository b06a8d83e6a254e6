"""Installing the pages on the application: routers, static files and error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from . import language, login
from .errors import install_page_error_handlers
from .users import UserPage

__all__ = ["install_web"]

_home = APIRouter(include_in_schema=False)


@_home.get("/")
def home(user: UserPage) -> RedirectResponse:
    return RedirectResponse("/crm/companies", status_code=303)


def install_web(app: FastAPI) -> None:
    from . import crm_pages, sync_connections, sync_engine, sync_mappings

    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    install_page_error_handlers(app)
    app.include_router(login.router)
    app.include_router(language.router)
    app.add_middleware(language.LanguageMiddleware)
    app.include_router(_home)
    for area in (crm_pages, sync_connections, sync_mappings, sync_engine):
        app.include_router(area.router)

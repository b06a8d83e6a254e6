"""``/api/v1/companies``, ``/persons``, ``/projects``: the CRM's records, read and written through
``crm.store`` with the origin ``user:<id>``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel

from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity, fields_of
from erpsync.crm.db import begin_write
from erpsync.crm.errors import RecordNotFound
from erpsync.crm.journal import user_origin
from erpsync.crm.values import INT32_MAX

from .dependencies import CurrentUser, DbSession
from .errors import error_responses
from .record_schemas import RecordSchemas, record_schemas
from .schemas import NO_NUL

__all__ = ["MAX_LIMIT", "records_router"]

MAX_LIMIT = 500
RecordId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The record's id.")]
Offset = Annotated[int, Query(ge=0, le=INT32_MAX, description="How many matching records to skip.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="The most records to return.")]
SearchText = Annotated[
    str,
    Query(
        max_length=store.MAX_SEARCH_LENGTH,
        pattern=NO_NUL,
        description="Words to find in the searchable fields.",
    ),
]
CompanyFilter = Annotated[
    int | None, Query(ge=1, le=INT32_MAX, description="Only the persons of this company.")
]


def records_router(entity: CrmEntity, prefix: str) -> APIRouter:
    """The five routes of one entity: list (search, paging), get, create, update, delete."""
    schemas = record_schemas(entity)
    noun = entity.value
    router = APIRouter(prefix=prefix, tags=[f"{noun}s"], responses=error_responses(401, 422))

    def list_records(
        user: CurrentUser,
        session: DbSession,
        q: SearchText = "",
        offset: Offset = 0,
        limit: Limit = 50,
        order_by: str = "id",
        company_id: CompanyFilter = None,
    ) -> Any:
        filters = {"company_id": company_id} if company_id is not None else {}
        page = store.search(session, entity, q, filters, offset=offset, limit=limit, order_by=order_by)
        return schemas.page(
            items=[schemas.reply(record) for record in page.items],
            total=page.total,
            offset=offset,
            limit=limit,
        )

    _annotate(list_records, order_by=_order_by_parameter(entity))
    if entity is not CrmEntity.person:
        _without(list_records, "company_id")

    def get_record(record_id: RecordId, user: CurrentUser, session: DbSession) -> Any:
        record = store.get(session, entity, record_id)
        if record is None:
            raise RecordNotFound(noun, record_id)
        return schemas.reply(record)

    def create_record(body: BaseModel, user: CurrentUser, session: DbSession) -> Any:
        begin_write(session)
        record_id = store.create(session, entity, body.model_dump(exclude_unset=True), user_origin(user.id))
        return _reply(session, schemas, record_id)

    def update_record(record_id: RecordId, body: BaseModel, user: CurrentUser, session: DbSession) -> Any:
        begin_write(session)
        store.update(session, entity, record_id, body.model_dump(exclude_unset=True), user_origin(user.id))
        return _reply(session, schemas, record_id)

    def delete_record(record_id: RecordId, user: CurrentUser, session: DbSession) -> None:
        begin_write(session)
        store.delete(session, entity, record_id, user_origin(user.id))

    plural = f"{noun}s"
    router.add_api_route(
        "",
        list_records,
        methods=["GET"],
        response_model=schemas.page,
        summary=f"List or search {plural}",
        operation_id=f"list_{plural}",
    )
    router.add_api_route(
        "/{record_id}",
        get_record,
        methods=["GET"],
        response_model=schemas.read,
        responses=error_responses(404),
        summary=f"Get a {noun}",
        operation_id=f"get_{noun}",
    )
    router.add_api_route(
        "",
        _annotate(create_record, body=schemas.create),
        methods=["POST"],
        response_model=schemas.read,
        status_code=status.HTTP_201_CREATED,
        responses=error_responses(409),
        summary=f"Create a {noun}",
        operation_id=f"create_{noun}",
    )
    router.add_api_route(
        "/{record_id}",
        _annotate(update_record, body=schemas.update),
        methods=["PATCH"],
        response_model=schemas.read,
        responses=error_responses(404, 409),
        summary=f"Change fields of a {noun}",
        operation_id=f"update_{noun}",
    )
    router.add_api_route(
        "/{record_id}",
        delete_record,
        methods=["DELETE"],
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        responses=error_responses(404, 409),
        summary=f"Delete a {noun}" + (" and its persons" if entity is CrmEntity.company else ""),
        operation_id=f"delete_{noun}",
    )
    return router


def _reply(session: Any, schemas: RecordSchemas, record_id: int) -> BaseModel:
    record = store.get(session, schemas.entity, record_id)
    assert record is not None
    return schemas.reply(record)


def _order_by_parameter(entity: CrmEntity) -> Any:
    """``order_by`` as an enumeration of what the store accepts: ``id`` and every field key, each
    also with ``-`` for descending."""
    keys = ["id", *(each.key for each in fields_of(entity))]
    choices: Any = Literal.__getitem__(tuple(prefix + key for key in keys for prefix in ("", "-")))
    return Annotated[choices, Query(description="'id' or a field key to sort by, '-' first for descending.")]


def _annotate(endpoint: Callable[..., Any], **annotations: Any) -> Callable[..., Any]:
    """Give parameters types made at run time from the catalogue (the request body's model, the
    sort keys), so that FastAPI validates requests with them and documents them."""
    signature = inspect.signature(endpoint)
    parameters = [
        each.replace(annotation=annotations[each.name]) if each.name in annotations else each
        for each in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint


def _without(endpoint: Callable[..., Any], name: str) -> Callable[..., Any]:
    """Hide a query parameter that does not apply to this entity."""
    signature = inspect.signature(endpoint)
    parameters = [each for each in signature.parameters.values() if each.name != name]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint

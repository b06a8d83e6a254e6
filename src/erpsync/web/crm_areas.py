"""The three CRM screens — companies, contacts (persons) and projects — as data: the address of
each, its CRM entity and actor type, and the REST API path its pages write through."""

from __future__ import annotations

from dataclasses import dataclass

from erpsync.crm.catalogue import CrmActorType, CrmEntity, actor_type_of
from erpsync.crm.store import Record

from .errors import PageNotFound

__all__ = ["AREAS", "Area", "area_for", "area_named", "record_title", "search_name"]


@dataclass(frozen=True, slots=True)
class Area:
    """``slug`` is the address (``/crm/<slug>``); the CRM's "contact" is a person, as in the GUI."""

    slug: str
    entity: CrmEntity
    api_path: str

    @property
    def actor_type(self) -> CrmActorType:
        return actor_type_of(self.entity)

    @property
    def nav(self) -> str:
        return self.slug

    def card_url(self, record_id: int) -> str:
        return f"/crm/{self.slug}/{record_id}"


AREAS: dict[str, Area] = {
    area.slug: area
    for area in (
        Area("companies", CrmEntity.company, "/api/v1/companies"),
        Area("contacts", CrmEntity.person, "/api/v1/persons"),
        Area("projects", CrmEntity.project, "/api/v1/projects"),
    )
}


def area_named(slug: str) -> Area:
    area = AREAS.get(slug)
    if area is None:
        raise PageNotFound()
    return area


def area_for(entity: CrmEntity) -> Area:
    return next(area for area in AREAS.values() if area.entity is entity)


def record_title(record: Record) -> str:
    """What a record is called on its card and in lists ("" when it has no name yet)."""
    if record.entity is CrmEntity.person:
        parts = (record.values.get(key) for key in ("first_name", "middle_name", "last_name"))
        return " ".join(str(part) for part in parts if part)
    return str(record.values.get("name") or "")


def search_name(record: Record) -> str:
    """The text the connect dialog searches the ERP with at once. A person is searched by last name
    (else first name): ERPs match one field at a time, so "Kari Nordmann" would find nobody."""
    if record.entity is CrmEntity.person:
        return str(record.values.get("last_name") or record.values.get("first_name") or "")
    return str(record.values.get("name") or "")

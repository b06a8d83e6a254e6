from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Double, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampedMixin

if TYPE_CHECKING:
    from .person import Person


class Company(TimestampedMixin, Base):
    """A company (SuperOffice's "contact"); its fields are catalogued in ``crm.catalogue``."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    department: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(50))
    number: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(100))
    fax: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    web_site: Mapped[str | None] = mapped_column(String(500))
    postal_address_1: Mapped[str | None] = mapped_column(String(200))
    postal_address_2: Mapped[str | None] = mapped_column(String(200))
    postal_address_3: Mapped[str | None] = mapped_column(String(200))
    postal_zip: Mapped[str | None] = mapped_column(String(20))
    postal_city: Mapped[str | None] = mapped_column(String(100))
    postal_county: Mapped[str | None] = mapped_column(String(100))
    postal_state: Mapped[str | None] = mapped_column(String(100))
    street_address_1: Mapped[str | None] = mapped_column(String(200))
    street_address_2: Mapped[str | None] = mapped_column(String(200))
    street_address_3: Mapped[str | None] = mapped_column(String(200))
    street_zip: Mapped[str | None] = mapped_column(String(20))
    street_city: Mapped[str | None] = mapped_column(String(100))
    street_county: Mapped[str | None] = mapped_column(String(100))
    street_state: Mapped[str | None] = mapped_column(String(100))
    country_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"), index=True)
    vat_no: Mapped[str | None] = mapped_column(String(50))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"), index=True)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"), index=True)
    employees: Mapped[int | None] = mapped_column(Integer)
    turnover: Mapped[float | None] = mapped_column(Double)
    no_mailings: Mapped[bool] = mapped_column(Boolean, default=False)

    persons: Mapped[list[Person]] = relationship(back_populates="company", lazy="raise")

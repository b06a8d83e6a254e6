from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampedMixin

if TYPE_CHECKING:
    from .company import Company


class Person(TimestampedMixin, Base):
    """A contact person, always under a company."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The store deletes a company's persons itself (so each gets a journal row); the cascade only
    # guards against a delete that bypassed it.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str | None] = mapped_column(String(50))
    middle_name: Mapped[str | None] = mapped_column(String(50))
    last_name: Mapped[str | None] = mapped_column(String(50), index=True)
    title: Mapped[str | None] = mapped_column(String(100))
    number: Mapped[str | None] = mapped_column(String(50))
    phone_direct: Mapped[str | None] = mapped_column(String(100))
    phone_private: Mapped[str | None] = mapped_column(String(100))
    phone_mobile: Mapped[str | None] = mapped_column(String(100))
    phone_other: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    position: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[datetime | None]
    web_site: Mapped[str | None] = mapped_column(String(500))
    postal_address_1: Mapped[str | None] = mapped_column(String(200))
    postal_address_2: Mapped[str | None] = mapped_column(String(200))
    postal_address_3: Mapped[str | None] = mapped_column(String(200))
    postal_zip: Mapped[str | None] = mapped_column(String(20))
    postal_city: Mapped[str | None] = mapped_column(String(100))
    postal_state: Mapped[str | None] = mapped_column(String(100))
    postal_county: Mapped[str | None] = mapped_column(String(100))
    country_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"), index=True)
    no_mailings: Mapped[bool] = mapped_column(Boolean, default=False)

    company: Mapped[Company] = relationship(back_populates="persons", lazy="raise")

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampedMixin


class CrmList(Base):
    """One of the CRM's lists (``catalogue.ListName``): country, category, business, …"""

    __tablename__ = "lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    label: Mapped[str] = mapped_column(String(100))

    items: Mapped[list[ListItem]] = relationship(back_populates="list", lazy="raise")


class ListItem(TimestampedMixin, Base):
    """An item of a CRM list. Items are never removed, only marked deleted, because records and ERP
    list mappings keep referring to them."""

    __tablename__ = "list_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    rank: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    list: Mapped[CrmList] = relationship(back_populates="items", lazy="raise")

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Double, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, TimestampedMixin


class Project(TimestampedMixin, Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(String(2000))
    number: Mapped[str | None] = mapped_column(String(50))
    web_site: Mapped[str | None] = mapped_column(String(500))
    end_date: Mapped[datetime | None]
    status_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"), index=True)
    type_id: Mapped[int | None] = mapped_column(ForeignKey("list_items.id"), index=True)
    budget: Mapped[float | None] = mapped_column(Double)
    hours: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[bool] = mapped_column(Boolean, default=False)

"""ErpSync agent methods: see the package docstring."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""One row per check, and how rows are shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["CheckResult", "format_row", "summary_line"]


@dataclass(slots=True)
class CheckResult:
    """The outcome of one named check.

    A skipped row is no failure: ``passed`` stays true so that ``all(r.passed …)`` means "nothing
    failed", while :func:`summary_line` counts it neither as passed nor as failed.
    """

    name: str
    passed: bool
    detail: str
    skipped: bool = False

    @property
    def failed(self) -> bool:
        return not self.passed and not self.skipped


def _status(result: CheckResult) -> str:
    if result.skipped:
        return "SKIP"
    return "PASS" if result.passed else "FAIL"


def format_row(result: CheckResult) -> str:
    """``PASS  GetConfigData — 3 config fields``; a skipped row says so and why."""
    detail = f"skipped: {result.detail}" if result.skipped else result.detail
    return f"{_status(result)}  {result.name}" + (f" — {detail}" if detail else "")


def summary_line(results: Iterable[CheckResult]) -> str:
    rows = list(results)
    passed = sum(1 for r in rows if r.passed and not r.skipped)
    failed = sum(1 for r in rows if r.failed)
    return f"{passed} passed, {failed} failed"

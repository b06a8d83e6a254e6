"""The value codec: how field values travel as strings.

``[DT:MM/dd/yyyy HH:mm:ss.fffffff]`` (UTC), ``[F:12.5]``, ``[I:42]``, checkboxes as ``[I:0]``/``[I:1]``,
strings raw, list values as the raw item key, and the empty value as ``""``. ``[D:…]`` is read as
``[F:…]``. Numbers are written without exponent and parse back to the same value.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from .enums import FieldType

__all__ = [
    "EMPTY",
    "Value",
    "ValueError_",
    "decode",
    "decode_bool",
    "decode_datetime",
    "decode_float",
    "decode_int",
    "encode",
    "encode_bool",
    "encode_datetime",
    "encode_float",
    "encode_int",
    "is_encoded",
    "parse_lenient",
]

EMPTY = ""

Value = str | int | float | bool | datetime | None

# re.ASCII: only invariant-culture digits; \Z: "$" would also accept a trailing newline.
_DT = re.compile(r"^\[DT:(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?\]\Z", re.ASCII)
_NUM = re.compile(r"^\[(I|F|D):(.*)\]\Z", re.DOTALL)
_INT = re.compile(r"^[+-]?\d+\Z", re.ASCII)
_FLOAT = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)


class ValueError_(ValueError):  # noqa: N801 - reads as "the codec's ValueError"
    """A value is not in the encoding its field type demands."""


def encode_datetime(value: datetime) -> str:
    """``[DT:…]`` in UTC with seven fractional digits; naive values are taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"[DT:{value:%m/%d}/{value.year:04d} {value:%H:%M:%S}.{value.microsecond:06d}0]"


def decode_datetime(text: str) -> datetime:
    m = _DT.match(text)
    if not m:
        raise ValueError_(f"{text!r} is not a date-time; expected [DT:MM/dd/yyyy HH:mm:ss.fffffff]")
    month, day, year, hour, minute, second, fraction = m.groups()
    micro = int((fraction or "0").ljust(7, "0")[:6])
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC
        )
    except ValueError as exc:
        raise ValueError_(f"{text!r} is not a valid date-time: {exc}") from None


def encode_int(value: int) -> str:
    return f"[I:{int(value)}]"


def decode_int(text: str) -> int:
    m = _NUM.match(text)
    if not m or m.group(1) != "I" or not _INT.match(m.group(2)):
        raise ValueError_(f"{text!r} is not an integer; expected [I:123]")
    try:
        return int(m.group(2))
    except ValueError as exc:  # more digits than sys.get_int_max_str_digits()
        raise ValueError_(f"{text[:20]!r}… is not a usable integer: {exc}") from None


def encode_float(value: float | Decimal) -> str:
    if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
        raise ValueError_(f"{value!r} cannot be sent: only finite numbers travel")
    # repr() is the shortest text that reads back to the same float; Decimal drops the exponent.
    text = format(Decimal(repr(value) if isinstance(value, float) else value), "f")
    return f"[F:{text}]"


def decode_float(text: str) -> float:
    m = _NUM.match(text)
    if not m or not _FLOAT.match(m.group(2)):
        raise ValueError_(f"{text!r} is not a number; expected [F:12.5]")
    result = float(m.group(2))
    if not math.isfinite(result):
        raise ValueError_(f"{text!r} is out of range")
    return result


def encode_bool(value: bool) -> str:
    return "[I:1]" if value else "[I:0]"


def decode_bool(text: str) -> bool:
    if text == "[I:1]":
        return True
    if text == "[I:0]":
        return False
    raise ValueError_(f"{text!r} is not a checkbox value; expected [I:0] or [I:1]")


def encode(value: Value, field_type: FieldType) -> str:
    """Encode a Python value for a field of ``field_type``; ``None`` is the empty value ``""``."""
    if value is None:
        return EMPTY
    match field_type:
        case FieldType.Checkbox:
            if not isinstance(value, bool | int) or (isinstance(value, int) and value not in (0, 1)):
                raise ValueError_(f"{value!r} is not a checkbox value")
            return encode_bool(bool(value))
        case FieldType.Integer:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError_(f"{value!r} is not an integer")
            return encode_int(value)
        case FieldType.Double:
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                raise ValueError_(f"{value!r} is not a number")
            return encode_float(float(value) if isinstance(value, int) else value)
        case FieldType.Datetime:
            if not isinstance(value, datetime):
                raise ValueError_(f"{value!r} is not a date-time")
            return encode_datetime(value)
        case _:
            if not isinstance(value, str):
                raise ValueError_(f"{value!r} is not text")
            return value


def decode(text: str, field_type: FieldType) -> Value:
    """Decode a wire value strictly; ``""`` is ``None`` for typed fields and ``""`` for text."""
    match field_type:
        case FieldType.Checkbox:
            return None if text == EMPTY else decode_bool(text)
        case FieldType.Integer:
            return None if text == EMPTY else decode_int(text)
        case FieldType.Double:
            return None if text == EMPTY else decode_float(text)
        case FieldType.Datetime:
            return None if text == EMPTY else decode_datetime(text)
        case _:
            return text


def is_encoded(text: str, field_type: FieldType) -> bool:
    """Is ``text`` a valid wire value for ``field_type``?"""
    try:
        decode(text, field_type)
    except ValueError_:
        return False
    return True


def parse_lenient(text: str, field_type: FieldType) -> Value:
    """Read a value a peer sent, accepting plain forms too (``42``, ``12.5``, ``true``, ISO dates).

    The reference asks the CRM to try to parse anything it receives; the strict :func:`decode` is
    tried first, then the plain forms. Raises :class:`ValueError_` when nothing fits.
    """
    try:
        return decode(text, field_type)
    except ValueError_:
        pass
    plain = text.strip()
    match field_type:
        case FieldType.Checkbox:
            lowered = plain.lower()
            if lowered in ("1", "true", "yes"):
                return True
            if lowered in ("0", "false", "no"):
                return False
        case FieldType.Integer:
            if _INT.match(plain):
                return decode_int(f"[I:{plain}]")
        case FieldType.Double:
            if _FLOAT.match(plain):
                return decode_float(f"[F:{plain}]")
            try:
                number = float(Decimal(plain))
            except (InvalidOperation, ValueError):
                pass
            else:
                if math.isfinite(number):
                    return number
        case FieldType.Datetime:
            try:
                parsed = datetime.fromisoformat(plain.replace("Z", "+00:00"))
                return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
            except (ValueError, OverflowError):  # OverflowError: out of range once in UTC
                pass
    raise ValueError_(f"{text!r} cannot be read as {field_type.value}")

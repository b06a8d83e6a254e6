"""The CLI glue of ``erpsync connector check <URL> [--config KEY=VALUE …]``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from erpsync.protocol import ConnectorClient, InvalidConnectorUrl

from .report import CheckResult, format_row, summary_line
from .runner import run_checks

__all__ = ["ConfigPairError", "check_command", "parse_config_pairs"]

#: Exit codes: every check passed / some check failed / the command line is wrong.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class ConfigPairError(ValueError):
    pass


def parse_config_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """``["Database=demo", "User=me"]`` → ``{"Database": "demo", "User": "me"}``.

    The value may contain ``=`` and may be empty; the key may not. A key given twice keeps the last value.
    """
    config: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigPairError(f"--config expects KEY=VALUE, got {pair!r}")
        config[key.strip()] = value
    return config


def check_command(
    url: str, config: list[str], secret: bytes | None, console_print: Callable[[str], None]
) -> int:
    """Print one row per check as it completes, then the summary alone on the last line.

    Returns 0 when nothing failed, 1 when a check failed, 2 when the arguments are wrong.
    """
    try:
        overrides = parse_config_pairs(config)
        client = ConnectorClient(url, secret=secret)
    except (ConfigPairError, InvalidConnectorUrl) as exc:
        console_print(f"error: {exc}")
        return EXIT_USAGE
    results: list[CheckResult] = []
    with client:
        for result in run_checks(client, overrides):
            results.append(result)
            console_print(format_row(result))
    console_print(summary_line(results))
    return EXIT_FAILED if any(r.failed for r in results) else EXIT_OK

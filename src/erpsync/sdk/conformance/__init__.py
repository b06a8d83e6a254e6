"""The conformance checker: runs the connector contract against any connector and reports per check.

Usage::

    with ConnectorClient("http://127.0.0.1:8100/connectors/demo", secret=b"…") as client:
        for row in run_checks(client, {"Database": "sandbox"}):
            print(format_row(row))

The checker creates a connection with a fresh random GUID (deleted at the end) and writes test
actors into the ERP, so run it against a sandbox. ``erpsync connector check <URL>`` is the CLI form.
"""

from .command import check_command, parse_config_pairs
from .report import CheckResult, format_row, summary_line
from .runner import run_checks

__all__ = ["CheckResult", "check_command", "format_row", "parse_config_pairs", "run_checks", "summary_line"]

"""The browser session: the same hashed, expiring token as the API's bearer token, carried in an
HttpOnly cookie, plus a CSRF token derived from it.

Pages call the JSON API with ``fetch``; the API accepts the cookie only together with the
``X-CSRF-Token`` header, which another site cannot set (and, with SameSite=Lax, cannot even make the
browser send the cookie on a cross-site POST).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "csrf_matches", "csrf_token_for", "safe_next"]

SESSION_COOKIE = "erpsync_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def csrf_token_for(session_token: str) -> str:
    """A value bound to the session: knowing it does not reveal the session token."""
    return hashlib.sha256(b"erpsync-csrf:" + session_token.encode()).hexdigest()[:40]


def csrf_matches(session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token_for(session_token), presented)


def safe_next(target: str | None) -> str:
    """Only a path on this site: ``next`` must not send the user elsewhere (after logging in, after
    switching the language)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target

"""The web console's cookie, CSRF tokens and the limit on sign-in attempts.

The session cookie holds the session's token signed with the deployment's key (itsdangerous):
a cookie not made by us is refused before the database is asked. It is HttpOnly (no script
reads it), SameSite=Lax, Secure when the console is served over HTTPS, and expires with the
session. Every form carries a CSRF token derived from the session token (HMAC), so another
site cannot post a form in a signed-in browser's name.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import deque
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE_NAME = "console_session"
CSRF_FIELD = "csrf"


@dataclass(frozen=True, slots=True)
class CookieSigner:
    """Signs and reads the session cookie; makes and checks CSRF tokens."""

    key: str

    def cookie(self, session_token: str) -> str:
        """The cookie's value for a session."""
        return str(URLSafeSerializer(self.key, salt="console-session").dumps(session_token))

    def session_token(self, cookie: str | None) -> str | None:
        """The session token of a cookie we signed; None for anything else."""
        if not cookie:
            return None
        try:
            token = URLSafeSerializer(self.key, salt="console-session").loads(cookie)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def csrf(self, session_token: str) -> str:
        """The CSRF token of a session's forms."""
        return hmac.new(
            self.key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256
        ).hexdigest()

    def csrf_ok(self, session_token: str, sent: str | None) -> bool:
        """Whether a form's CSRF token is the session's."""
        return bool(sent) and hmac.compare_digest(self.csrf(session_token), str(sent))


@dataclass
class AttemptLimiter:
    """At most `limit` sign-in attempts per client address in `window` seconds (within this
    process; a link is one-time and short-lived, so this only slows guessing down)."""

    limit: int = 10
    window: float = 60.0
    _attempts: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, client: str, now: float | None = None) -> bool:
        """Count an attempt; False when the client is over the limit."""
        moment = time.monotonic() if now is None else now
        if len(self._attempts) > 10_000:  # forget the idle ones, so memory stays bounded
            self._attempts = {
                k: v for k, v in self._attempts.items() if v and v[-1] > moment - self.window
            }
        recent = self._attempts.setdefault(client, deque())
        while recent and recent[0] <= moment - self.window:
            recent.popleft()
        if len(recent) >= self.limit:
            return False
        recent.append(moment)
        return True

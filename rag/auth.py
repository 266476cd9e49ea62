"""One authentication gate in front of every route of `rag serve`: the API, the chat page and every route
Gradio adds for it (events, uploads, config, file serving), and the OpenAPI docs.

It is an ASGI middleware rather than a per-router dependency because Gradio mounts its own application with
its own routes: a dependency on our router would leave those open, and did (issue 9). A request passes when
it carries `Authorization: Bearer <key>` (API clients) or the session cookie the login page sets (the chat
page, whose browser requests cannot add a header). Only liveness, readiness and the login page are open.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
from http.cookies import CookieError, SimpleCookie

from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/login"})
COOKIE = "rag_session"


class Sessions:
    """The keys, and the session cookie values derived from them with a per-process secret: the cookie never
    holds a key, and restarting the server (or changing RAG_API_KEYS) ends every browser session."""

    def __init__(self, keys: frozenset[str]) -> None:
        self.keys = keys
        self._secret = secrets.token_bytes(32)
        # cookie value -> owner: what the chat page stores is one key's holder's, named by a digest of the key
        # (stable across restarts, unlike the cookie; never the key itself)
        self._owners = {hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest():
                        "key:" + hashlib.sha256(key.encode()).hexdigest()[:24] for key in keys}

    def token_for(self, key: str) -> str | None:
        """The cookie value for a valid key, None for any other string."""
        if not any(hmac.compare_digest(key.encode(), known.encode()) for known in self.keys):
            return None
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    def owner(self, headers: dict[str, str]) -> str | None:
        """The key holder a request (lower-case header names) comes from; None without a valid key."""
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            token = self.token_for(authorization[7:].strip())
            if token:
                return self._owners[token]
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except CookieError:  # a malformed cookie header is simply no session
            return None
        session = cookie.get(COOKIE)
        if session is None:
            return None
        return next((owner for token, owner in self._owners.items()
                     if hmac.compare_digest(session.value, token)), None)

    def admits(self, scope: Scope) -> bool:
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        return self.owner(headers) is not None


class KeyGate:
    """Refuses every request without a valid key: 401 JSON for API clients, a redirect to /login for a
    browser asking for a page, a policy-violation close for a websocket."""

    def __init__(self, app: ASGIApp, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] not in ("http", "websocket") or not self.sessions.keys or scope["path"] in OPEN_PATHS
                or self.sessions.admits(scope)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept"), "")
        if scope["method"] == "GET" and "text/html" in accept:
            await _respond(send, 303, b"", [(b"location", b"/login")])
            return
        body = json.dumps({"error": {"message": "missing or invalid API key (Authorization: Bearer ...)",
                                     "type": "authentication_error", "code": 401}}).encode()
        await _respond(send, 401, body, [(b"content-type", b"application/json"),
                                         (b"www-authenticate", b"Bearer")])


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def login_page(error: str = "") -> str:
    """A self-contained page (no scripts, no external assets: everything else is behind the gate)."""
    notice = f"<p style='color:#b91c1c'>{html.escape(error)}</p>" if error else ""
    return ("<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>报告问答 · 登录</title></head>"
            "<body style='font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto'>"
            f"<h2>报告问答</h2><p>请输入访问密钥（RAG_API_KEYS 中的一个）。</p>{notice}"
            "<form method='post' action='/login'><input type='password' name='key' autofocus required "
            "style='width:100%;padding:.5rem' aria-label='访问密钥'><p><button type='submit'>登录</button></p>"
            "</form></body></html>")

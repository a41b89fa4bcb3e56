"""The Host header check: a server answers only under the names it is reached by.

A keyless server on 127.0.0.1 is reachable from any web page the user opens,
through DNS rebinding (a name of the attacker's that resolves to 127.0.0.1):
the browser sends that name as Host. So `serve` bound to a loopback address
without an API key answers only to loopback names unless
TALKING_HEAD_ALLOWED_HOSTS says otherwise; any other server checks Host only
when that setting is given.
"""

from __future__ import annotations

from ..errors import status_code
from .errors import envelope

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"]
POLICY_VIOLATION = 1008


def default_allowed_hosts(bind_host: str, api_key: str | None) -> list[str]:
    """The names allowed when the setting is unset: loopback ones for a keyless loopback server, else any."""
    return list(LOOPBACK_HOSTS) if bind_host in LOOPBACK_HOSTS and not api_key else []


def host_name(header: str) -> str:
    """The name in a Host header, without its port ("[::1]:8000" is "::1")."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class AllowedHosts:
    """ASGI middleware: a request whose Host is not in `hosts` is 400 (a WebSocket is closed, 1008)."""

    def __init__(self, app, hosts: list[str]):
        self.app = app
        self.hosts = {host.lower() for host in hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if host_name(header).lower() in self.hosts:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": "host not allowed"})
        message = (
            f"this server does not answer to the host {header or '(none)'!r}. Reach it by one of "
            f"{', '.join(sorted(self.hosts))}, or add the name to TALKING_HEAD_ALLOWED_HOSTS."
        )
        return await envelope(400, status_code(400), message, "host")(scope, receive, send)

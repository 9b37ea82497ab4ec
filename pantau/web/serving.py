"""How ``pantau web`` and ``pantau tipline`` run uvicorn: which proxies may set the client address.

uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1 by default, so anyone who can reach the app through
a local process (or who connects from the machine itself) could pick the client address the per-client
limits key on. Pantau turns proxy headers off unless ``--forwarded-allow-ips`` names the proxies in
front of it (comma-separated addresses or networks, as uvicorn takes them; ``*`` trusts everyone and
is only safe when nothing but the proxy can reach the port).
"""

from __future__ import annotations

from typing import Any


def server_options(forwarded_allow_ips: str | None) -> dict[str, Any]:
    """uvicorn keyword arguments for the trusted-proxy setting (None or '': trust no proxy)."""
    ips = (forwarded_allow_ips or "").strip()
    if not ips:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ips}

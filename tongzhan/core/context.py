"""The request's who-and-where for services and audit, without passing the request object down.

Middleware sets it per request; management commands set it with `acting_from("command")`.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

client_ip: ContextVar[str] = ContextVar("client_ip", default="")


@contextlib.contextmanager
def acting_from(ip: str):
    token = client_ip.set(ip)
    try:
        yield
    finally:
        client_ip.reset(token)

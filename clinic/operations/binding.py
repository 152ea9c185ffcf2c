"""Where every server of the clinic listens: `CLINIC_BIND_ADDRESS`, 127.0.0.1 by default.

A clinic that puts the assistant behind its own proxy on another host sets it
explicitly (e.g. the host's private address); nothing listens on every
interface by accident.
"""

from __future__ import annotations

import ipaddress
import os

DEFAULT_BIND_ADDRESS = "127.0.0.1"


def bind_address(environ=None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get("CLINIC_BIND_ADDRESS") or DEFAULT_BIND_ADDRESS


def address_to_call(bind: str) -> str:
    """Where this machine reaches a server bound to `bind` (a server on every interface: loopback)."""
    try:
        return DEFAULT_BIND_ADDRESS if ipaddress.ip_address(bind).is_unspecified else bind
    except ValueError:
        return bind


def is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False

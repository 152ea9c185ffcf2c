"""Which TCP addresses a process listens on, read from /proc (Linux), no extra package."""
import ipaddress
import os
from pathlib import Path

LISTEN = "0A"


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _address(hex_address: str) -> str:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return f"{ipaddress.IPv4Address(raw[::-1])}:{int(port, 16)}"
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return f"[{ipaddress.IPv6Address(words)}]:{int(port, 16)}"


def listening_addresses(pid: int) -> list[str]:
    """'127.0.0.1:5005'-style addresses of the sockets `pid` listens on."""
    inodes = _socket_inodes(pid)
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTEN and fields[9] in inodes:
                found.append(_address(fields[1]))
    return found


def calls_being_answered(pid: int, port: int) -> int:
    """How many connections to `port` the process `pid` holds open (established): the calls it is answering."""
    inodes = _socket_inodes(pid)
    count = 0
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and fields[9] in inodes and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count

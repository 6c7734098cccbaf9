"""A real `portique serve` in its own process, its peak memory, and hostile bodies sent to
it over a socket as an attacker would (no client library buffering them)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

BLOCK = b"x" * 1_000_000


@dataclass(frozen=True)
class ServedProcess:
    pid: int
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(site: Path, *, pythonpath: str | None = None) -> Iterator[ServedProcess]:
    """``portique serve --plain-http`` on ``site`` and a free port, until the block ends;
    ``pythonpath`` runs another checkout's code (a benchmark's "before")."""
    port = free_port()
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    command = [sys.executable, "-m", "portique", "serve", "--dir", str(site)]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--plain-http"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        served = ServedProcess(process.pid, port)
        _wait_until_up(served, process)
        yield served
    finally:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(20)
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _wait_until_up(served: ServedProcess, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"portique serve ended with {process.returncode}")
        try:
            httpx.get(served.base_url + "/login", timeout=1.0)
        except httpx.TransportError:
            with suppress(subprocess.TimeoutExpired):
                process.wait(0.1)
            continue
        return
    raise RuntimeError("portique serve did not answer")


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory of a process so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1000
    raise RuntimeError("no VmHWM")


def send_body(
    served: ServedProcess,
    path: str,
    size: int,
    *,
    chunked: bool,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    prefix: bytes = b"",
) -> tuple[int, int]:
    """POSTs ``size`` bytes to ``path`` (with a Content-Length, or chunked): ``prefix``
    then filler, as far as the server takes them; the status of its answer and how many
    bytes went out."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    sent = 0
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        with suppress(OSError):
            while sent < size:
                block = (prefix + BLOCK)[: size - sent] if sent == 0 else BLOCK[: size - sent]
                if chunked:
                    connection.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                else:
                    connection.sendall(block)
                sent += len(block)
            if chunked:
                connection.sendall(b"0\r\n\r\n")
        answer = b""
        with suppress(OSError):
            while b"\r\n" not in answer:
                part = connection.recv(4096)
                if not part:
                    break
                answer += part
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent

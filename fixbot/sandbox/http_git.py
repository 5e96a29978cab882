"""Git smart HTTP through the real ``git http-backend`` CGI.

The CGI output is spooled (in memory up to 8 MiB, then to a temporary file) so every reply can carry
a Content-Length while large packs never sit whole in memory; the reply is then streamed in chunks.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from fixbot.sandbox.gitstore import git_env

GIT_PATH_RE = re.compile(
    r"^/(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?"
    r"(?P<rest>/(?:info/refs|git-upload-pack|git-receive-pack))$"
)
SPOOL_LIMIT = 8 * 1024 * 1024
CHUNK = 64 * 1024

# Per-process config, no files touched: push for authenticated users, partial clone, any-SHA fetch.
CONFIG = (
    ("http.receivepack", "true"),
    ("uploadpack.allowFilter", "true"),
    ("uploadpack.allowAnySHA1InWant", "true"),
)


@dataclass
class CgiReply:
    status: int
    headers: list[tuple[str, str]]
    body: IO[bytes]  # positioned at the start of the body
    length: int
    stderr: str


def cgi_env(root: Path, *, method: str, path_info: str, query: str, content_type: str,
            content_length: int, remote_user: str, content_encoding: str,
            git_protocol: str) -> dict[str, str]:
    env = git_env(root)
    env.update({
        "GIT_PROJECT_ROOT": str(root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "REQUEST_METHOD": method,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(content_length),
        "REMOTE_USER": remote_user,
        "REMOTE_ADDR": "127.0.0.1",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "GIT_CONFIG_COUNT": str(len(CONFIG)),
    })
    for i, (key, value) in enumerate(CONFIG):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    if content_encoding:
        env["HTTP_CONTENT_ENCODING"] = content_encoding
    if git_protocol:
        env["HTTP_GIT_PROTOCOL"] = git_protocol
    return env


def _read_cgi_headers(stream: IO[bytes]) -> tuple[int, list[tuple[str, str]]]:
    status = 200
    headers: list[tuple[str, str]] = []
    while True:
        line = stream.readline()
        if not line or line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").rstrip("\r\n").partition(":")
        value = value.strip()
        if name.lower() == "status":
            status = int(value.split()[0])
        else:
            headers.append((name, value))
    return status, headers


def run_http_backend(root: Path, body: IO[bytes], body_length: int, **cgi: str) -> CgiReply:
    """Run one CGI request; ``cgi`` are the keyword arguments of :func:`cgi_env`."""
    env = cgi_env(root, content_length=body_length, **cgi)
    errors = tempfile.TemporaryFile()  # noqa: SIM115
    # A session of its own: a Ctrl-C in the terminal stops the sandbox, not a request under way.
    proc = subprocess.Popen(["git", "http-backend"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=errors, env=env,
                            start_new_session=True)
    assert proc.stdin is not None and proc.stdout is not None

    stdin = proc.stdin

    def feed() -> None:
        with contextlib.suppress(OSError):  # git may stop reading early (errors, 401s)
            shutil.copyfileobj(body, stdin, CHUNK)
        with contextlib.suppress(OSError):
            stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    status, headers = _read_cgi_headers(proc.stdout)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)  # noqa: SIM115 (caller closes)
    shutil.copyfileobj(proc.stdout, spool, CHUNK)
    proc.stdout.close()
    proc.wait()
    writer.join()
    length = spool.tell()
    spool.seek(0)
    errors.seek(0)
    stderr = errors.read().decode(errors="replace")
    errors.close()
    if proc.returncode != 0 and status == 200 and length == 0:
        status = 500
    return CgiReply(status, headers, spool, length, stderr)

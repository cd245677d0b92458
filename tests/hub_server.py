"""A loopback stand-in for the Hugging Face Hub's download protocol, for the pull
tests: HEAD and GET of /OWNER/REPO/resolve/REVISION/FILE with the hub's headers
(X-Repo-Commit, ETag as the file's sha256, the size), byte ranges for resumed
downloads, and switches for what can go wrong (a connection cut in the middle,
a wrong checksum)."""

from __future__ import annotations

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class Hub:
    """Serves ``files`` ({"owner/repo/file": path}) on 127.0.0.1 until closed."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self.cut_after: int | None = None  # bytes sent before the connection drops (once)
        self.announce_sha256: str | None = None  # a sha256 other than the file's
        self.ranges: list[int] = []  # where each ranged GET started
        self.down = False  # every request answered 503 (set by a cut, to end a download there)
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _file(self) -> tuple[Path, str] | None:
                m = re.match(r"^/([^/]+/[^/]+)/resolve/[^/]+/(.+)$", self.path.split("?")[0])
                path = hub.files.get(f"{m[1]}/{m[2]}") if m else None
                if path is None:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return path, hub.announce_sha256 or hashlib.sha256(path.read_bytes()).hexdigest()

            def _headers(self, status: int, length: int, size: int, sha: str, start: int = 0) -> None:
                self.send_response(status)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{sha}"')
                self.send_header("Content-Length", str(length))
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                self.end_headers()

            def _unavailable(self) -> bool:
                if hub.down:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                return hub.down

            def do_HEAD(self) -> None:
                if self._unavailable():
                    return
                found = self._file()
                if found:
                    size = found[0].stat().st_size
                    self._headers(200, size, size, found[1])

            def do_GET(self) -> None:
                if self._unavailable():
                    return
                found = self._file()
                if not found:
                    return
                data = found[0].read_bytes()
                start = 0
                m = re.match(r"bytes=(\d+)-", self.headers.get("Range", ""))
                if m:
                    start = int(m[1])
                    hub.ranges.append(start)
                body = data[start:]
                self._headers(206 if start else 200, len(body), len(data), found[1], start)
                if hub.cut_after is not None:
                    cut, hub.cut_after = hub.cut_after, None
                    hub.down = True  # the connection is lost and stays lost until a test brings it back
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

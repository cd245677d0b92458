"""``memcli models pull``: a GGUF from the Hugging Face Hub into the Hugging Face
cache, where ``memcli models`` (and other tools) find it.

The file is laid out as ``huggingface_hub`` lays out its cache (a blob named
by its sha256, a snapshot link, refs/main), so other tools share it. memcli
downloads it itself: huggingface_hub 2.x removes a partial file when a
download fails, and here a lost connection or Ctrl-C keeps it, and the same
command carries on with a ranged request. First the file must exist and fit
on the disk; afterwards its sha256 must be the one the hub announced (refused
and removed otherwise). ``HF_ENDPOINT`` points at another hub (the tests'
loopback one).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from memcli.base.errors import InvalidInput, ModelError

_SPEC = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)/(?P<file>[\w.+-]+\.gguf)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Pulled:
    """A model file pulled (or found already whole) in the Hugging Face cache."""

    repo: str
    filename: str
    path: Path
    size: int
    sha256: str
    already: bool


def parse(spec: str) -> tuple[str, str]:
    """``owner/repo/file.gguf`` -> (repo, file)."""
    m = _SPEC.match(spec.strip())
    if m is None:
        raise InvalidInput(f"{spec!r} is not a model to pull: give OWNER/REPO/FILE.gguf")
    return m["repo"], m["file"]


def pull(spec: str, *, cache_dir: Path | None = None,
         progress: Callable[[str, int, int], None] | None = None) -> Pulled:
    """Download ``owner/repo/file.gguf`` into the Hugging Face cache's layout
    (blobs, a snapshot link, refs/main), carrying on from a partial download."""
    repo, filename = parse(spec)
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ModelError("HF_HUB_OFFLINE is set: pulling a model needs the network (unset it for this command)")
    endpoint = (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")
    url = f"{endpoint}/{repo}/resolve/main/{filename}"
    meta = _head(url, repo, filename)
    root = Path(cache_dir or hub_cache()) / f"models--{repo.replace('/', '--')}"
    link = root / "snapshots" / meta.commit / filename
    if link.exists() and link.stat().st_size == meta.size:
        return Pulled(repo, filename, link, meta.size, _sha256(link), already=True)
    blobs = root / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    partial = blobs / f"{meta.etag}.incomplete"
    have = partial.stat().st_size if partial.exists() else 0
    free = shutil.disk_usage(blobs).free
    if meta.size and meta.size - have > free:
        raise ModelError(f"{filename} needs {_mb(meta.size - have)} free in {blobs}; there are {_mb(free)}")
    _get(meta.location, partial, have, meta.size, f"pulling {filename}", progress)
    digest = _sha256(partial)
    if _SHA256.match(meta.etag) and digest != meta.etag:
        partial.unlink(missing_ok=True)
        raise ModelError(f"{filename} arrived with sha256 {digest[:12]}..., not the hub's {meta.etag[:12]}...: "
                         "removed; pull it again")
    blob = blobs / meta.etag
    os.replace(partial, blob)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(blob, link.parent))
    (root / "refs").mkdir(exist_ok=True)
    (root / "refs" / "main").write_text(meta.commit)
    return Pulled(repo, filename, link, meta.size, digest, already=False)


@dataclass
class _Meta:
    etag: str
    size: int
    commit: str
    location: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the hub's own answer carries the file's sha256 and size; the CDN's does not


def _head(url: str, repo: str, filename: str) -> _Meta:
    """The file's sha256 (its ETag), size and commit, as the hub announces them."""
    request = urllib.request.Request(url, method="HEAD", headers={"Accept-Encoding": "identity",
                                                                   "User-Agent": "memcli"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(request, timeout=30)
        headers, status = response.headers, response.status
    except urllib.error.HTTPError as exc:
        headers, status = exc.headers, exc.code
        if status not in (301, 302, 303, 307, 308):
            if status in (401, 403, 404):
                raise ModelError(f"the hub has no file {filename} in {repo} (or it is gated)") from None
            raise ModelError(f"the hub refused {repo}/{filename}: HTTP {status}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"cannot reach the model hub ({url.split('/', 3)[2]}): {reason}") from None
    etag = (headers.get("X-Linked-Etag") or headers.get("ETag") or "").strip('"').removeprefix("W/").strip('"')
    size = int(headers.get("X-Linked-Size") or headers.get("Content-Length") or 0)
    commit = headers.get("X-Repo-Commit") or "main"
    location = urllib.parse.urljoin(url, headers.get("Location") or url)
    if not etag:
        raise ModelError(f"the hub gave no checksum for {repo}/{filename}")
    return _Meta(etag.lower(), size, commit, location)


def _get(url: str, partial: Path, have: int, size: int, label: str,
         progress: Callable[[str, int, int], None] | None) -> None:
    """Append the rest of the file to ``partial`` (a ranged GET from where it stopped)."""
    headers = {"User-Agent": "memcli", "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
            mode = "ab" if have and response.status == 206 else "wb"
            done = have if mode == "ab" else 0
            with open(partial, mode) as out:
                while True:
                    block = response.read(1 << 20)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(label, done, size)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelError(f"the download of {partial.name.split('.')[0][:12]}... stopped ({reason}); the same "
                         "command carries on from where it stopped") from None
    if size and partial.stat().st_size < size:
        raise ModelError(f"the download stopped at {_mb(partial.stat().st_size)} of {_mb(size)}; the same command "
                         "carries on from where it stopped")


def remove(spec: str, *, cache_dir: Path | None = None) -> list[Path]:
    """Remove a pulled file (every revision of it) from the Hugging Face cache."""
    repo, filename = parse(spec)
    root = Path(cache_dir or hub_cache()) / f"models--{repo.replace('/', '--')}"
    found = sorted(root.glob(f"snapshots/*/{filename}"))
    if not found:
        raise InvalidInput(f"{repo}/{filename} was not pulled (nothing in {root})")
    for link in found:
        _remove(link)
    return found


def hub_cache() -> Path:
    """The Hugging Face cache as the environment names it now (where `memcli models` looks first)."""
    from memcli.models.catalog import Places

    return Places.default().huggingface()[0]


def _remove(path: Path) -> None:
    """A snapshot entry and the blob it points to."""
    blob = path.resolve()
    path.unlink(missing_ok=True)
    if blob != path:
        blob.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

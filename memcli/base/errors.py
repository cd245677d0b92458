"""One family of exceptions for everything a person can cause.

The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``;
library users catch :class:`MemcliError`.
"""

from __future__ import annotations


class MemcliError(Exception):
    """Base class: a problem the user can fix (bad input, unknown id, missing file)."""

    exit_code = 1


class InvalidInput(MemcliError, ValueError):
    """Text, JSON, dates or options that cannot be accepted."""


class NotFound(MemcliError, KeyError):
    """An id (memory, session, episode) that does not exist for this store."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else "not found"


class ConfigError(MemcliError):
    """A config file that cannot be read, or a setting with a bad value."""


class ModelError(MemcliError):
    """A model file that is missing, unreadable or not in the expected format."""


class StorageError(MemcliError):
    """A database or data folder that cannot be opened or written."""

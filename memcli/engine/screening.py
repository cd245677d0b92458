"""The privacy policy applied to what is about to be stored or logged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memcli.base.config import Config
from memcli.base.vocab import Policy

if TYPE_CHECKING:
    from memcli.base.privacy import Screened


class Screening:
    """The ``[privacy]`` policy of one open store."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def screen(self, text: str) -> "Screened":
        """The policy's decision on text about to be stored as a memory: store,
        redact (the text comes back masked), ask, or never."""
        from memcli.base.privacy import screen

        return screen(text, self.config.privacy.as_dict())

    def storable(self, text: str) -> str | None:
        """``text`` as it may be stored without asking (masked where the policy
        says), or None when the policy refuses it or wants the person's yes."""
        screened = self.screen(text)
        return screened.text if screened.action in (Policy.STORE, Policy.REDACT) else None

    def log_text(self, text: str) -> str:
        """What the message log keeps of a line: values of classes whose policy is
        ``never`` or ``redact`` are masked there too."""
        from memcli.base.privacy import mask_for_log

        return mask_for_log(text, self.config.privacy.as_dict())

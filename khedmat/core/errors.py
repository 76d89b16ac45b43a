"""The one shape of a refusal that a person reads."""

from __future__ import annotations


class Refusal(Exception):
    """A service refused to act. `message` is for the person (already translated);
    `code` names the reason for callers and tests. Nothing was changed."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

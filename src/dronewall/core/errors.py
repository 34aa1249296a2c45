"""The one error hierarchy of dronewall.

Every error raised on purpose by dronewall derives from :class:`DronewallError` and also from the
matching builtin (``ValueError``, ``FileNotFoundError`` ...), so callers that only know the builtin
still catch it. Each carries structured fields so that the CLI, the server and the logs can say
*what* is wrong and *where* without parsing the message.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(eq=False)
class DronewallError(Exception):
    """Base class of every dronewall error.

    Parameters
    ----------
    message
        A sentence for a person.
    source
        The file, stream or API path the bad input came from, when there is one.
    line
        1-based line number inside ``source``, when known.
    field
        Dotted path of the offending field (``objects[2].waypoints``), when known.
    expected, actual
        What was expected and what was found, for structured reporting.
    """

    message: str
    source: str | None = None
    line: int | None = None
    field: str | None = None
    expected: str | None = None
    actual: str | None = None
    details: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        where = []
        if self.source is not None:
            where.append(self.source if self.line is None else f"{self.source}:{self.line}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        head = f"{', '.join(where)}: " if where else ""
        tail = []
        if self.expected is not None:
            tail.append(f"expected {self.expected}")
        if self.actual is not None:
            tail.append(f"got {self.actual}")
        return head + self.message + (f" ({'; '.join(tail)})" if tail else "")


class ConfigError(DronewallError, ValueError):
    """A scenario, catalogue or tracker configuration is malformed or inconsistent."""


class InputError(DronewallError, ValueError):
    """A recorded or live input (file line, message, API body) is malformed."""


class ScenarioNotFoundError(DronewallError, FileNotFoundError):
    """Neither a built-in scenario nor a file of that name exists."""


class StoreError(DronewallError, RuntimeError):
    """The event store cannot be opened, is of an unknown schema version, or rejected a write."""

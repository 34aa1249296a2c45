"""Tokens, roles and clearances.

A token names a user, a role and the releasability labels the user is cleared for. Roles are
ordered ``viewer < operator < commander < admin``; an endpoint states the least role it needs.
The token file is YAML::

    tokens:
      - {token: "s3cret", user: alice, role: commander, clearances: [BE, NATO]}

Without a file the service makes one random admin token per start, cleared for every label.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import yaml

from dronewall.core.errors import ConfigError


class Role(IntEnum):
    """Roles, in increasing authority."""

    VIEWER = 0
    OPERATOR = 1
    COMMANDER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[str(text).upper()]
        except KeyError:
            raise ValueError(text) from None


#: Every releasability label the built-in data uses (nations of the Benelux and NATO).
ALL_LABELS: frozenset[str] = frozenset({"BE", "NL", "LU", "NATO"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who is calling: user, role and clearances."""

    user: str
    role: Role
    clearances: frozenset[str]

    def cleared_for(self, labels: Iterable[str]) -> bool:
        """True iff the clearances intersect ``labels``."""
        return not self.clearances.isdisjoint(labels)


@dataclass(frozen=True, slots=True)
class TokenSet:
    """Token -> principal."""

    principals: Mapping[str, Principal]

    def lookup(self, token: str | None) -> Principal | None:
        """The principal of ``token``, ``None`` when missing or unknown (constant-time compare)."""
        if not token:
            return None
        found = None
        for known, who in self.principals.items():
            if secrets.compare_digest(known.encode(), token.encode()):
                found = who
        return found

    @classmethod
    def from_entries(cls, entries: Any, source: str = "tokens") -> TokenSet:
        """Build from a list of ``{token, user, role, clearances}`` mappings (validated)."""
        if not isinstance(entries, list) or not entries:
            raise ConfigError("expected a non-empty list of tokens", source=source, field="tokens")
        out: dict[str, Principal] = {}
        for i, e in enumerate(entries):
            where = f"tokens[{i}]"
            if not isinstance(e, Mapping):
                raise ConfigError("expected a mapping", source=source, field=where)
            unknown = sorted(set(e) - {"token", "user", "role", "clearances"})
            if unknown:
                raise ConfigError(f"unknown keys {unknown}", source=source, field=where)
            token, user = e.get("token"), e.get("user")
            if not isinstance(token, str) or len(token) < 8:
                raise ConfigError(
                    "token must be a string of at least 8 characters",
                    source=source,
                    field=f"{where}.token",
                )
            if token in out:
                raise ConfigError("token repeated", source=source, field=f"{where}.token")
            if not isinstance(user, str) or not user.strip():
                raise ConfigError("user must be a non-empty string", source=source, field=where)
            try:
                role = Role.parse(str(e.get("role")))
            except ValueError:
                raise ConfigError(
                    "unknown role",
                    source=source,
                    field=f"{where}.role",
                    expected="viewer | operator | commander | admin",
                    actual=repr(e.get("role")),
                ) from None
            clear = e.get("clearances", [])
            if not isinstance(clear, list) or not all(isinstance(c, str) and c for c in clear):
                raise ConfigError(
                    "clearances must be a list of labels",
                    source=source,
                    field=f"{where}.clearances",
                )
            out[token] = Principal(user=user, role=role, clearances=frozenset(clear))
        return cls(out)

    @classmethod
    def load(cls, path: Path) -> TokenSet:
        """Read a YAML token file (``ConfigError`` naming the file and entry when malformed)."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read the token file: {exc}", source=str(path)) from exc
        if not isinstance(data, Mapping) or "tokens" not in data:
            raise ConfigError("expected a mapping with 'tokens'", source=str(path))
        return cls.from_entries(data["tokens"], str(path))

    @classmethod
    def single_admin(cls) -> tuple[TokenSet, str]:
        """One random admin token cleared for every known label, and the token."""
        token = secrets.token_urlsafe(18)
        who = Principal(user="admin", role=Role.ADMIN, clearances=ALL_LABELS)
        return cls({token: who}), token


DEMO_TOKENS: list[dict[str, Any]] = [
    {"token": "viewer-token", "user": "vera", "role": "viewer"},
    {"token": "operator-token", "user": "oscar", "role": "operator"},
    {"token": "commander-token", "user": "carla", "role": "commander"},
    {"token": "admin-token", "user": "adam", "role": "admin"},
]


def demo_token_entries() -> list[dict[str, Any]]:
    """The demo users (one per role, cleared for BE, NL, LU, NATO, plus ``nl-viewer-token``:
    a viewer cleared for NL only), as token-file entries."""
    full = sorted(ALL_LABELS)
    out = [{**e, "clearances": list(full)} for e in DEMO_TOKENS]
    out.append({"token": "nl-viewer-token", "user": "nils", "role": "viewer", "clearances": ["NL"]})
    return out

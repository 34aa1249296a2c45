"""Where each item of an ASTERIX record starts and ends, without decoding its values.

An ASTERIX data block (EUROCONTROL Part 1, *ASTERIX Data Structure*, section 4) is::

    CAT (1 octet) | LEN (2 octets, big-endian, the whole block) | record | record | ...

and each record is an FSPEC (field specification: octets whose 7 high bits say which item of the
category's User Application Profile (UAP) follows, bit 1 the FX "another FSPEC octet follows")
followed by the announced items in UAP order. Records carry no length of their own, so walking a
block means knowing the length rule of every item. Part 1 section 4.3 defines five:

=========  ===========================================================================
fixed      ``n`` octets
extended   a first part, then further parts while the last bit (FX) of a part is set
repetitive a 1-octet repetition factor then that many fixed sub-fields (or, "FX
           repetitive", fixed sub-fields each ending in an FX bit)
explicit   a 1-octet length (counting itself) then the data
compound   a sub-FSPEC, then the announced sub-items (each with its own rule)
=========  ===========================================================================

The rules of every item are read once, at import, from the category specifications that
``libasterix`` (MIT, generated from the ``asterix-specs`` project) ships: this module only
walks octets, the values are read by :mod:`dronewall.adapters.asterix_fields`.

Data layout
-----------
:func:`walk_record` returns a dict ``{item name: (start, stop)}`` of byte offsets into the
buffer (``"010"``, ``"040"``, ``"RE"``, ``"SP"``) and the offset after the record. A record that
cannot be walked raises :class:`RecordError` naming the item and why; the rest of its block is
then lost (records are not self-delimiting) but the following blocks are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import asterix.generated as gen
from asterix import base

# Item length rules, as tuples (kind, ...):
#   ("F", n)                 fixed n octets
#   ("X", (n1, n2, ...), fx) extended parts of n_i octets; fx: the last part ends with an FX bit
#   ("R", k, rule)           repetition factor of k octets, then that many `rule`
#   ("RF", n)                FX-repetitive: n-octet sub-fields, each ending in an FX bit
#   ("E",)                   explicit length
#   ("C", m, (rule|None, ...), (name|None, ...))  compound with an FSPEC of at most m octets
Rule = tuple[Any, ...]

SPECS: Final[dict[int, Any]] = {
    15: gen.Cat_015_1_2,
    21: gen.Cat_021_2_7,
    34: gen.Cat_034_1_29,
    48: gen.Cat_048_1_32,
    62: gen.Cat_062_1_21,
    65: gen.Cat_065_1_6,
}
"""Category -> the libasterix edition used to walk and (for the reference path) read it."""

DECODED: Final = frozenset({15, 21, 34, 48, 62})
"""Categories turned into records; other known categories (065) are walked only to skip them."""

TITLES: Final[dict[int, str]] = {
    1: "monoradar target reports (old)",
    2: "monoradar service messages (old)",
    15: "INCS target reports",
    21: "ADS-B target reports",
    34: "monoradar service messages",
    48: "monoradar target reports",
    62: "SDPS system tracks",
    63: "sensor status",
    65: "SDPS service status",
}


class RecordError(Exception):
    """A record that cannot be walked: which item, why, and at which byte."""

    def __init__(self, item: str, reason: str, offset: int) -> None:
        super().__init__(f"{item}: {reason}")
        self.item = item
        self.reason = reason
        self.offset = offset


class _Short(Exception):
    """The record (block) ends inside the item."""


class _Bad(Exception):
    """The item is malformed (message says how)."""


def _variation_rule(var: type[Any]) -> Rule:
    if issubclass(var, base.Element | base.Group):
        bits = int(var.cv_bit_size)
        if bits % 8:
            raise TypeError(f"{var.__name__}: {bits} bits is not whole octets")
        return ("F", bits // 8)
    if issubclass(var, base.Extended):
        parts: list[int] = []
        fx = False
        for group in var.cv_items_list:
            bits = 0
            fx = False
            for entry in group:
                if entry is None:
                    bits += 1
                    fx = True
                else:
                    bits += int(entry[1])
            parts.append(bits // 8)
        return ("X", tuple(parts), fx)
    if issubclass(var, base.Repetitive):
        inner = _variation_rule_bits(var.cv_variation)
        if var.cv_rep_bytes is None:
            return ("RF", (inner + 1) // 8)
        return ("R", int(var.cv_rep_bytes), ("F", inner // 8))
    if issubclass(var, base.Explicit):
        return ("E",)
    if issubclass(var, base.Compound):
        rules: list[Rule | None] = []
        names: list[str | None] = []
        for nsp in var.cv_items_list:
            if nsp is None:
                rules.append(None)
                names.append(None)
            else:
                rules.append(_rule_of(nsp.cv_rule))
                names.append(str(nsp.cv_name))
        return ("C", int(var.cv_fspec_max_bytes), tuple(rules), tuple(names))
    raise TypeError(f"unknown variation {var.__name__}")


def _variation_rule_bits(var: type[Any]) -> int:
    if issubclass(var, base.Element | base.Group):
        return int(var.cv_bit_size)
    raise TypeError(f"repetitive of {var.__name__} is not supported")


def _rule_of(rule: type[Any]) -> Rule:
    if issubclass(rule, base.RuleVariationContextFree):
        return _variation_rule(rule.cv_variation)
    # context-dependent items: every case of the categories used has the default's length
    return _variation_rule(rule.cv_default_variation)


@dataclass(frozen=True, slots=True)
class CategoryLayout:
    """The UAP of one category edition: per FRN (1-based) the item name and its length rule."""

    category: int
    edition: tuple[int, int]
    fspec_max: int
    items: tuple[tuple[str, Rule] | None, ...]  # index FRN - 1; None: spare / undefined


def _layout(spec: Any) -> CategoryLayout:
    items: list[tuple[str, Rule] | None] = []
    for uap_item in spec.cv_record.cv_items_list:
        if issubclass(uap_item, base.UapItem):
            nsp = uap_item.cv_non_spare
            items.append((str(nsp.cv_name), _rule_of(nsp.cv_rule)))
        else:  # spare or random field sequencing (not used by the categories decoded here)
            items.append(None)
    return CategoryLayout(
        int(spec.cv_category),
        (int(spec.cv_edition[0]), int(spec.cv_edition[1])),
        int(spec.cv_record.cv_fspec_max_bytes),
        tuple(items),
    )


LAYOUTS: Final[dict[int, CategoryLayout]] = {cat: _layout(s) for cat, s in SPECS.items()}


def _skip(rule: Rule, buf: bytes, pos: int, end: int) -> int:
    """Offset just after an item of ``rule`` starting at ``pos`` (``end``: end of the record's
    block)."""
    kind = rule[0]
    if kind == "F":
        stop: int = pos + rule[1]
        if stop > end:
            raise _Short
        return stop
    if kind == "X":
        parts = rule[1]
        for n in parts:
            stop = pos + n
            if stop > end:
                raise _Short
            if not buf[stop - 1] & 1:
                return stop
            pos = stop
        if rule[2]:
            raise _Bad(f"FX bit set in the last of its {len(parts)} defined parts")
        return pos
    if kind == "R":
        k = rule[1]
        if pos + k > end:
            raise _Short
        count = int.from_bytes(buf[pos : pos + k], "big")
        pos += k
        inner = rule[2]
        if inner[0] == "F":
            stop = pos + count * inner[1]
            if stop > end:
                raise _Short
            return stop
        for _ in range(count):
            pos = _skip(inner, buf, pos, end)
        return pos
    if kind == "RF":
        n = rule[1]
        while True:
            stop = pos + n
            if stop > end:
                raise _Short
            if not buf[stop - 1] & 1:
                return stop
            pos = stop
    if kind == "E":
        if pos >= end:
            raise _Short
        n = buf[pos]
        if n == 0:
            raise _Bad("explicit length octet is 0")
        stop = pos + n
        if stop > end:
            raise _Short
        return stop
    # compound
    max_octets, rules, _names = rule[1], rule[2], rule[3]
    fspec_end = _fspec_end(buf, pos, end, max_octets)
    frn = 0
    cursor = fspec_end
    for i in range(pos, fspec_end):
        octet = buf[i]
        for bit in range(7):
            if octet & (0x80 >> bit):
                sub = rules[frn] if frn < len(rules) else None
                if sub is None:
                    raise _Bad(f"sub-FSPEC announces undefined sub-item {frn + 1}")
                cursor = _skip(sub, buf, cursor, end)
            frn += 1
    return cursor


def _fspec_end(buf: bytes, pos: int, end: int, max_octets: int) -> int:
    i = pos
    while True:
        if i >= end:
            raise _Short
        if i - pos >= max_octets:
            raise _Bad(f"FSPEC longer than the {max_octets} octets of the UAP")
        if not buf[i] & 1:
            return i + 1
        i += 1


# FSPEC octets -> the (name, rule) of every item it announces, for the FSPECs seen so far
_PLANS: dict[tuple[int, bytes], tuple[tuple[str, Rule], ...] | str] = {}
_PLANS_MAX: Final = 4096


def _plan(layout: CategoryLayout, fspec: bytes) -> tuple[tuple[str, Rule], ...] | str:
    """Items announced by ``fspec``, or the reason it is invalid."""
    key = (layout.category, fspec)
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    out: list[tuple[str, Rule]] = []
    result: tuple[tuple[str, Rule], ...] | str
    frn = 0
    for octet in fspec:
        for bit in range(7):
            if octet & (0x80 >> bit):
                entry = layout.items[frn] if frn < len(layout.items) else None
                if entry is None:
                    result = f"FSPEC: FRN {frn + 1} announced but not defined in the UAP"
                    break
                out.append(entry)
            frn += 1
        else:
            continue
        break
    else:
        result = tuple(out)
    if len(_PLANS) < _PLANS_MAX:
        _PLANS[key] = result
    return result


def walk_record(
    layout: CategoryLayout, buf: bytes, pos: int, end: int
) -> tuple[dict[str, tuple[int, int]], int]:
    """The item spans of the record at ``pos`` and the offset after it.

    Parameters
    ----------
    layout : CategoryLayout
        The category's UAP.
    buf : bytes
        The buffer holding the block.
    pos, end : int
        Where the record starts, where its block ends (byte offsets into ``buf``).

    Raises
    ------
    RecordError
        ``item`` is ``"I040"`` (or ``"FSPEC"``), ``reason`` e.g. ``"record ends inside the
        item"``, ``offset`` the item's first byte.
    """
    try:
        fspec_end = _fspec_end(buf, pos, end, layout.fspec_max)
    except _Short:
        raise RecordError("FSPEC", "block ends inside the FSPEC", pos) from None
    except _Bad as exc:
        raise RecordError("FSPEC", str(exc).removeprefix("FSPEC "), pos) from None
    plan = _plan(layout, buf[pos:fspec_end])
    if isinstance(plan, str):
        raise RecordError("FSPEC", plan.removeprefix("FSPEC: "), pos)
    if not plan:
        raise RecordError("FSPEC", "announces no item", pos)
    spans: dict[str, tuple[int, int]] = {}
    cursor = fspec_end
    for name, rule in plan:
        if rule[0] == "F":
            stop = cursor + rule[1]
            if stop > end:
                raise RecordError(_label(name), "record ends inside the item", cursor)
        else:
            try:
                stop = _skip(rule, buf, cursor, end)
            except _Short:
                raise RecordError(_label(name), "record ends inside the item", cursor) from None
            except _Bad as exc:
                raise RecordError(_label(name), str(exc), cursor) from None
        spans[name] = (cursor, stop)
        cursor = stop
    return spans, cursor


def _label(name: str) -> str:
    return name if name in ("RE", "SP") else f"I{name}"


def compound_spans(rule: Rule, buf: bytes, start: int, stop: int) -> dict[str, tuple[int, int]]:
    """Sub-item spans of a compound item occupying ``buf[start:stop]`` (already walked)."""
    _, max_octets, rules, names = rule
    fspec_end = _fspec_end(buf, start, stop, max_octets)
    spans: dict[str, tuple[int, int]] = {}
    cursor = fspec_end
    frn = 0
    for i in range(start, fspec_end):
        octet = buf[i]
        for bit in range(7):
            if octet & (0x80 >> bit):
                sub = rules[frn]
                end = _skip(sub, buf, cursor, stop)
                spans[names[frn]] = (cursor, end)
                cursor = end
            frn += 1
    return spans


def item_rule(category: int, name: str) -> Rule:
    """The length rule of item ``name`` of ``category``."""
    for entry in LAYOUTS[category].items:
        if entry is not None and entry[0] == name:
            return entry[1]
    raise KeyError(f"CAT {category:03d} has no item {name}")

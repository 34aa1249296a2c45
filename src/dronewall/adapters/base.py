"""What every wire-format adapter shares: the decode log and the record it produces.

An adapter turns bytes from a socket or a capture file into **detection records**: dicts in the
schema of the detection file format (``docs/formats/detections.md``: ``t``, ``sensor``,
``sensor_pos``, ``kind``, the value object, ``cov`` or ``std``, optional ``icao``, ``remote_id``,
``protocol``, ``rcs_m2`` ...). Those records are what a detection file holds, line by line, so

* :class:`~dronewall.formats.detections.DetectionReader` turns them into
  :class:`~dronewall.core.measurements.DetectionBatch` rows in the run's local frame (it accepts
  parsed dicts as well as text lines), and
* ``dronewall replay-capture --detections-out`` writes them as a detection file unchanged.

Records of other kinds (a SAPIENT status report, a CAT 034 sector message, an ASTERIX system
track) are returned by each adapter in its own typed form; only measurements go to the tracker.

Bad input is never raised from a decoder loop. Each bad record is reported to a
:class:`DecodeLog` with its offset (byte offset in a binary stream, 1-based line in a text
stream, message index for framed messages) and a reason that names the field, counted by reason,
and skipped; the records around it are kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final, Literal

OffsetUnit = Literal["byte", "line", "message"]

DEFAULT_KEEP: Final = 1000
"""Issues kept in a :class:`DecodeLog` (all are counted)."""

DetectionRecord = dict[str, Any]
"""One detection in the schema of the detection file format (one line of such a file)."""


@dataclass(frozen=True, slots=True)
class DecodeIssue:
    """One record that was skipped, and why.

    Parameters
    ----------
    source : str
        The file or stream it came from (``asterix.pcap``, ``tcp://0.0.0.0:30003``).
    offset : int
        Where: byte offset from the start of the stream, 1-based line, or 0-based message index,
        as ``unit`` says.
    unit : {"byte", "line", "message"}
    reason : str
        ``"<field>: <what is wrong>"`` or a sentence; names the item when there is one
        (``"CAT 048 I040: record ends inside the item"``).
    """

    source: str
    offset: int
    unit: OffsetUnit
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.unit} {self.offset}: {self.reason}"


@dataclass
class DecodeLog:
    """Counts good and bad records of one source and keeps the first ``keep`` issues.

    Attributes
    ----------
    source : str
        Name used in every issue.
    good, bad : int
        Records decoded, records skipped.
    by_reason : Counter
        Bad records by a short reason key (the part of the reason before the first ``:``).
    issues : list of DecodeIssue
        The first ``keep`` bad records.
    """

    source: str
    keep: int = DEFAULT_KEEP
    good: int = 0
    bad: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    issues: list[DecodeIssue] = field(default_factory=list)

    def ok(self, n: int = 1) -> None:
        """Count ``n`` good records."""
        self.good += n

    def reject(self, offset: int, reason: str, unit: OffsetUnit = "byte") -> DecodeIssue:
        """Count one bad record at ``offset`` and keep its issue (up to ``keep``)."""
        self.bad += 1
        self.by_reason[reason.split(":", 1)[0].strip()] += 1
        issue = DecodeIssue(self.source, offset, unit, reason)
        if len(self.issues) < self.keep:
            self.issues.append(issue)
        return issue

    def merge(self, other: DecodeLog) -> None:
        """Add the counts and issues of ``other`` (a sub-stream) to this log."""
        self.good += other.good
        self.bad += other.bad
        self.by_reason.update(other.by_reason)
        room = self.keep - len(self.issues)
        if room > 0:
            self.issues.extend(other.issues[:room])

    def summary(self) -> dict[str, Any]:
        """Counts and the first issues as plain data (for ``summary.json`` and the CLI)."""
        return {
            "source": self.source,
            "good": self.good,
            "bad": self.bad,
            "bad_by_reason": dict(self.by_reason.most_common()),
            "first_issues": [str(i) for i in self.issues[:20]],
        }

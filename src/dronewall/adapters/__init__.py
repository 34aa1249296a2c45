"""Wire-format adapters: ASTERIX, SAPIENT, SBS/Beast ADS-B, Remote ID, Cursor on Target.

Each turns its input into detection records (the detection file schema, see
:mod:`dronewall.adapters.base`) or writes the picture out in its format. Modules:

* :mod:`~dronewall.adapters.base`: :class:`DecodeLog`, :class:`DecodeIssue`.
* :mod:`~dronewall.adapters.pcap`: UDP payloads out of pcap / pcapng captures.
* :mod:`~dronewall.adapters.asterix`: ASTERIX CAT 015/021/034/048/062 in, 015/062 out.
* :mod:`~dronewall.adapters.adsb`: SBS BaseStation text and Beast binary.
* :mod:`~dronewall.adapters.remoteid`: ASTM F3411 broadcast Remote ID.
* :mod:`~dronewall.adapters.sapient`: SAPIENT (BSI Flex 335 v2.0) node server.
* :mod:`~dronewall.adapters.cot`: Cursor on Target out and (safely) in.
"""

from dronewall.adapters.base import DecodeIssue, DecodeLog, DetectionRecord

__all__ = ["DecodeIssue", "DecodeLog", "DetectionRecord"]

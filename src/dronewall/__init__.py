"""dronewall: an open, auditable common air picture and counter-drone decision support system.

Pipeline: sense (:mod:`dronewall.sensors`, :mod:`dronewall.sim`) → track (:mod:`dronewall.tracking`)
→ assess (:mod:`dronewall.assess`) → respond (:mod:`dronewall.respond`) → record
(:mod:`dronewall.picture`) → report (:mod:`dronewall.report`), wired by :mod:`dronewall.pipeline`.
"""

__version__ = "0.1.0"

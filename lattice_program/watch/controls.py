"""Operators' controls on the daemon, in the conventions Flux and Argo CD users know.

* ``lattice-gateway:suspend: true`` in the stack settings: the daemon keeps watching and
  reporting, but changes nothing in Lattice (nothing is deleted either) until it is
  removed.
* ``lattice-gateway.io/reconcile-requested-at: <any new value>`` on a Gateway (Flux's
  ``reconcile.fluxcd.io/requestedAt``): converge now, Stalled or not.  The daemon
  acknowledges by writing the same value to ``lattice-gateway.io/reconcile-handled-at``
  once the converge is done.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

RECONCILE_REQUESTED = "lattice-gateway.io/reconcile-requested-at"
RECONCILE_HANDLED = "lattice-gateway.io/reconcile-handled-at"


def pending_reconcile(body: Mapping[str, Any]) -> Optional[str]:
    """The request value of an object asking for a converge it has not been answered for."""
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    requested = annotations.get(RECONCILE_REQUESTED)
    if requested and requested != annotations.get(RECONCILE_HANDLED):
        return requested
    return None

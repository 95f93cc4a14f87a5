"""lattice-gateway: Kubernetes Gateway API objects provisioned as Amazon VPC Lattice.

The package is laid out along the data path, one room per stage, and imports run only
downwards along it::

    vocabulary ← sources ← translate ← contract ← program ← engine ← (watch, promote, deploy, adopt, inspect) ← cli

A room may import the rooms to its left and ``components.specs`` (plain data); only
``program`` and above may import ``components``' Pulumi classes.  ``tests/test_layout.py``
holds the rule.
"""

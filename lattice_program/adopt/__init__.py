"""Adopting a running AWS Gateway API Controller installation: list the Lattice resources
the controller made, match each to the Kubernetes object and the logical resource our
program declares for it, report, and hand them over to a stack (Pulumi import, protect,
retag).  Beside watch, promote, deploy and inspect: may import engine and every room
below it and ``components.specs``, never a sibling."""

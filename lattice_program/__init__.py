"""From Gateway API objects to a VPC Lattice model and a Pulumi program."""

"""`pulumi up` entry point: provision the stack's Gateway API manifests as VPC Lattice."""

from pathlib import Path

from lattice_program.program.stack import run

run(Path(__file__).resolve().parent)

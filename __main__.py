"""`pulumi up` entry point: provision the stack's Gateway API manifests as VPC Lattice.

A stack whose input is a promoted release runs the program on that release, and a
protected stack's service networks get Pulumi's protect: the same program `latticectl up`
runs inline (promote/recorder.py)."""

from pathlib import Path

import pulumi

from lattice_program.program.stack import run
from lattice_program.promote.recorder import stack_program

ROOT = Path(__file__).resolve().parent

stack_program(ROOT, pulumi.get_stack(), {}, lambda: run(ROOT))()

"""A stand-in for the pulumi-aws provider plugin, for the ``aws:vpclattice/*`` resources
our program declares: a Python provider on ``pulumi.provider.experimental`` that talks
to VPC Lattice (in tests, the emulator in ``tests.support.lattice_emulator``) through
boto3, and that the real Pulumi engine loads as ``aws`` at pulumi_aws's version.

``install_plugin(pulumi_home)`` puts it where the engine looks.
"""

from tests.support.aws_provider.plugin import install_plugin, plugin_version

__all__ = ["install_plugin", "plugin_version"]

"""``python -m tests.support.aws_provider <engine address>``: serve the double as the
engine's ``aws`` plugin (what the launcher written by ``install_plugin`` runs).

The experimental server prints the port it listens on, which is how the engine finds
it; nothing else may go to stdout before that.
"""

import sys

from pulumi.provider.experimental.server import main

from tests.support.aws_provider.plugin import plugin_version
from tests.support.aws_provider.provider import AwsProviderDouble

if __name__ == "__main__":
    version = plugin_version()
    main(sys.argv[1:], version, AwsProviderDouble(version))

"""latticectl: the command line."""

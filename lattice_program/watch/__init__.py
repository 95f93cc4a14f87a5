"""The watch daemon (``latticectl watch``): informers on every cluster of a stack, a
converge loop that runs one Automation API update at a time on what they hold, the
target fast path, leader election on a Lease, status write-back, health and metrics.
May import every room below it (``engine`` included); never ``promote``."""

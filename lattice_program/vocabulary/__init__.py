"""The words every room shares: stack settings, statuses and problems, and the names
of the stack outputs the next run reads back.  Imports nothing of ours but
``components.specs``."""

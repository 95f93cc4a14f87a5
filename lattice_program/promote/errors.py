"""The promotion's errors: each message says what was refused and what to do."""

from __future__ import annotations


class PromotionError(Exception):
    """A promotion (or rollback, freeze, history) that cannot be done.  ``exit_code`` 2 for
    bad input, 1 for a refusal or a failure."""

    exit_code = 1


class BadInput(PromotionError):
    exit_code = 2

"""`latticectl doctor`: run every check, each on its own, and say what to fix.

A check is a callable returning :class:`CheckResult`s.  One check failing, or raising
something nobody expected, never stops the others: the exception becomes a failed result
naming the check.  The run fails (exit code 1) when any result is ``fail``; ``warn`` and
``skip`` tell the user something without failing the run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Callable, Dict, Iterable, List, Sequence, Tuple


class Status(str, Enum):
    PASS = "pass"
    WARN = "warn"  # works, but something is missing the user may want
    FAIL = "fail"
    SKIP = "skip"  # not checked: what it needs is missing or failed (said in the detail)


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str = ""


def passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, Status.PASS, detail)


def warned(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name, Status.WARN, detail, fix)


def failed(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name, Status.FAIL, detail, fix)


def skipped(name: str, detail: str, fix: str = "") -> CheckResult:
    return CheckResult(name, Status.SKIP, detail, fix)


Check = Tuple[str, Callable[[], Iterable[CheckResult]]]


def run_checks(checks: Sequence[Check]) -> List[CheckResult]:
    """Every check's results, in order; a check that raises is one failed result."""
    results: List[CheckResult] = []
    for name, check in checks:
        try:
            results.extend(check())
        except Exception as error:  # a bug or an unforeseen answer: reported, the next check still runs
            results.append(failed(name, f"the check itself failed: {type(error).__name__}: {error}",
                                  "report this as a bug in lattice-gateway, with this output"))
    return results


def healthy(results: Iterable[CheckResult]) -> bool:
    return not any(result.status is Status.FAIL for result in results)


def report_document(results: Sequence[CheckResult]) -> Dict[str, object]:
    """The results as plain data (``latticectl doctor --output json``)."""
    counts = {status.value: 0 for status in Status}
    for result in results:
        counts[result.status.value] += 1
    return {
        "ok": healthy(results),
        "counts": counts,
        "checks": [{**asdict(result), "status": result.status.value} for result in results],
    }

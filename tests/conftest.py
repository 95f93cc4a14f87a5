"""Shared fixtures: Pulumi's mock runtime, one per test (set_mocks is process-wide)."""

from __future__ import annotations

import os

import pytest

from tests.support.pulumi_runtime import RecordingMocks, start, stop

# Fixtures of the real engines (real_pulumi, and the API server).
pytest_plugins = ["tests.support.engines", "tests.support.kube"]

# The modules that compare with ../shared/reference skip as a whole where it is absent;
# .ci/run sets this so that there such a skip fails the run instead of hiding 100 tests.
REQUIRE_REFERENCE = "LATTICE_GATEWAY_REQUIRE_REFERENCE"
REFERENCE_SKIP = "../shared/reference is not beside the repo"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get(REQUIRE_REFERENCE) == "1" and report.skipped and REFERENCE_SKIP in str(report.longrepr):
        report.outcome = "failed"
        report.longrepr = (f"{collector.nodeid}: {REFERENCE_SKIP}, and {REQUIRE_REFERENCE}=1 (set by .ci/run) "
                           "requires it: put the reference material at ../shared/reference, or unset "
                           f"{REQUIRE_REFERENCE} to let these tests skip")


@pytest.fixture
def runtime():
    rt = start(RecordingMocks())
    yield rt
    stop(rt)


@pytest.fixture
def runtime_without_dns():
    rt = start(RecordingMocks(service_dns=False))
    yield rt
    stop(rt)


@pytest.fixture(autouse=True)
def _releases_kept_out_of_the_repo(tmp_path, monkeypatch):
    """Every successful `up` records a release in the project's store; tests that run
    `up` on this repository record theirs in a temporary store instead."""
    monkeypatch.setenv("LATTICE_GATEWAY_RELEASE_STORE", str(tmp_path / "releases"))

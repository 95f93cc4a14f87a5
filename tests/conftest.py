"""Shared fixtures: Pulumi's mock runtime, one per test (set_mocks is process-wide)."""

from __future__ import annotations

import pytest

from tests.support.pulumi_runtime import RecordingMocks, start, stop

# Fixtures of the real engines (real_pulumi, and the API server).
pytest_plugins = ["tests.support.engines", "tests.support.kube"]


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

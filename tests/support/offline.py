"""No ambient AWS configuration for a test: no credentials from the environment, no config
or credentials files, no instance metadata. What the code finds is what the test gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def no_ambient_aws(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    for key in [key for key in os.environ if key.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(directory / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(directory / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

"""The emulator seeded as the AWS controller leaves an account, and the stack's objects."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Mapping, Sequence

import pytest

from lattice_program.sources.files import RawObject, load_paths
from lattice_program.vocabulary.settings import StackSettings
from tests.adopt.controller_seed import MANIFESTS, VPC, Seeded, seed
from tests.support.lattice_emulator import LatticeEmulator


@pytest.fixture
def emulator() -> Iterator[LatticeEmulator]:
    with LatticeEmulator() as emu:
        yield emu
        assert emu.internal_errors == []


@pytest.fixture
def seeded(emulator: LatticeEmulator) -> Seeded:
    return seed(emulator.client())


@pytest.fixture
def objects(tmp_path: Path) -> Mapping[str, Sequence[RawObject]]:
    (tmp_path / "hotel.yaml").write_text(MANIFESTS)
    return {"hotel": load_paths([str(tmp_path / "hotel.yaml")])}


@pytest.fixture
def settings() -> StackSettings:
    return StackSettings(vpc_id=VPC, cluster_name="hotel")

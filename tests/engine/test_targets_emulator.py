"""The target sync over the real protocol, against the strict emulator (scenario 6's half)."""

from __future__ import annotations

import pytest

from components.specs import Target
from lattice_program.engine.targets import sync_targets
from tests.support.lattice_emulator import LatticeEmulator

VPC = "vpc-0a1b2c3d4e5f60789"


@pytest.fixture
def emulator():
    with LatticeEmulator() as emu:
        yield emu
        assert emu.internal_errors == []


def target_group(emu) -> str:
    return emu.client().create_target_group(
        name="checkout-v1", type="IP",
        config={"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC, "ipAddressType": "IPV4"})["id"]


def members(emu, group: str) -> dict:
    pages = emu.client().get_paginator("list_targets").paginate(targetGroupIdentifier=group)
    return {(t["id"], t["port"]): t["status"] for page in pages for t in page["items"]}


def test_sync_registers_the_desired_targets_and_drains_the_gone_ones(emulator):
    group = target_group(emulator)
    first = sync_targets(emulator.client(), {group: [Target("10.0.0.1", 8080), Target("10.0.0.2", 8080)]})
    assert first.ok and len(first.results[0].registered) == 2
    assert set(members(emulator, group)) == {("10.0.0.1", 8080), ("10.0.0.2", 8080)}

    second = sync_targets(emulator.client(), {group: [Target("10.0.0.2", 8080), Target("10.0.0.3", 8080)]})
    result = second.results[0]
    assert [t.id for t in result.registered] == ["10.0.0.3"] and [t.id for t in result.deregistered] == ["10.0.0.1"]
    assert result.unchanged == 1
    assert members(emulator, group)[("10.0.0.1", 8080)] == "DRAINING"

    # A draining target is left alone, and no call touches it again.
    before = len(emulator.mutating_calls)
    third = sync_targets(emulator.client(), {group: [Target("10.0.0.2", 8080), Target("10.0.0.3", 8080)]})
    assert [t.id for t in third.results[0].draining_left_alone] == ["10.0.0.1"]
    assert len(emulator.mutating_calls) == before
    emulator.finish_draining()
    assert set(members(emulator, group)) == {("10.0.0.2", 8080), ("10.0.0.3", 8080)}


def test_an_unknown_group_and_an_empty_set_change_nothing(emulator):
    group = target_group(emulator)
    sync_targets(emulator.client(), {group: [Target("10.0.0.1", 8080)]})
    before = len(emulator.mutating_calls)
    report = sync_targets(emulator.client(), {group: [], "tg-0123456789abcdef0": [Target("10.0.0.9", 80)],
                                              "tg-0fedcba987654321f": None})
    assert not report.ok  # the unknown group is a failed call, said so
    by_group = {r.target_group_id: r for r in report.results}
    assert by_group[group].skipped_reason and by_group["tg-0fedcba987654321f"].skipped_reason
    assert "ResourceNotFound" in (by_group["tg-0123456789abcdef0"].error or "")
    assert len(emulator.mutating_calls) == before
    assert set(members(emulator, group)) == {("10.0.0.1", 8080)}

"""Edits of a stack's settings file (freeze, hold) keep its comments, write only when
something changes, and refuse a file they cannot read; and the diff of two stacks'
releases names what only one of them has."""

from __future__ import annotations

import pytest

from lattice_program.promote.diff import Difference, diff_stacks
from lattice_program.promote.pin import set_frozen, set_hold
from lattice_program.promote.stacks import load_stack
from lattice_program.sources.files import load_paths
from lattice_program.vocabulary.settings import SettingsError, StackSettings
from tests.promote.doubles import DEV, ROOT

DIGEST = "sha256:" + "a" * 64


def test_freezing_a_stack_without_a_promotion_section_adds_one_and_keeps_comments(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "Pulumi.dev.yaml"
    path.write_text(DEV)
    assert set_frozen(path, True) is True
    assert path.read_text().startswith("# dev: manifests in, releases recorded on every up\n")
    assert load_stack(tmp_path, "dev").settings.promotion.frozen is True
    written = path.stat().st_mtime_ns, path.read_text()
    assert set_frozen(path, True) is False  # nothing to change: the file is not rewritten
    assert (path.stat().st_mtime_ns, path.read_text()) == written


def test_a_hold_is_set_and_lifted(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "Pulumi.dev.yaml"
    path.write_text(DEV)
    assert set_hold(path, DIGEST, "checkout 500s")
    hold = load_stack(tmp_path, "dev").settings.promotion.hold
    assert (hold.digest, hold.reason) == (DIGEST, "checkout 500s")
    assert set_hold(path, None)
    assert load_stack(tmp_path, "dev").settings.promotion.hold is None and "hold" not in path.read_text()


@pytest.mark.parametrize("text", ["config: [unclosed\n", None])
def test_a_stack_file_that_cannot_be_read_is_refused_by_path(tmp_path, text):
    path = tmp_path / "Pulumi.dev.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(SettingsError, match=f"{path}: cannot edit stack settings"):
        set_frozen(path, True)
    assert (path.read_text() if text is not None else None) == text


def _example(*names: str):
    return {"east": [raw for name in names for raw in load_paths([str(ROOT / "examples" / "two-cluster" / "east" / name)])]}


def test_the_diff_names_objects_and_lattice_resources_only_one_side_has():
    settings = StackSettings(cluster_name="east", vpc_id="vpc-0a1b2c3d4e5f60789")
    both = _example("platform.yaml", "orders.yaml", "ledger.yaml")
    without_ledger = _example("platform.yaml", "orders.yaml")
    found = diff_stacks((both, settings), (without_ledger, settings))
    only_a = [d for d in found["objects"] if d.change == "only in A"]
    assert Difference("ServiceExport commerce/ledger", "only in A") in only_a
    assert Difference("Service commerce/ledger", "only in A") in only_a
    assert all(d.change == "only in A" for d in found["objects"])
    exported = [d for d in found["lattice"] if d.subject.startswith("TargetGroup ")]
    assert exported == [Difference("TargetGroup ServiceExport/commerce/ledger/east/http-80", "only in A")]
    reverse = diff_stacks((without_ledger, settings), (both, settings))
    assert {d.subject for d in reverse["lattice"] if d.change == "only in B"} == {d.subject for d in exported}

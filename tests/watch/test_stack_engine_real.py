"""The daemon's engine against the real CLI: a lock whose holder died is broken, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from lattice_program.sources.files import load_paths
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.watch.converge import Converger, Outcome, observation_of
from lattice_program.watch.stack_engine import AutomationStackEngine
from tests.engine.test_real_engine import VPC, kill_mid_update, locks, project
from tests.support.engines import RealPulumi

pytestmark = pytest.mark.needs_pulumi_cli


def test_the_daemon_breaks_a_lock_whose_holder_died_and_names_what_it_left(real_pulumi: RealPulumi,
                                                                           tmp_path: Path):
    """The killed CLI's rule create reached Lattice but never its state (a pending
    create): after the lock is broken the next create meets the rule by name, and the
    daemon says so instead of guessing.  Adopting such orphans by their deterministic
    names is the adoption issue's work; here the lock must go and the reason be plain."""
    root = project(tmp_path, "checkout-ab")
    kill_mid_update(real_pulumi, root)
    settings = StackSettings(vpc_id=VPC, cluster_name="real")
    objects = {"real": tuple(load_paths([str(root / "manifests")]))}
    engine = AutomationStackEngine("realtest", settings, work_dir=root)
    loop = Converger("realtest", settings, lambda: observation_of(objects), engine)
    outcome = loop.converge_once()
    assert locks(real_pulumi) == [], "the dead holder's lock was broken"
    if outcome is Outcome.APPLIED:  # the kill came between two creates: nothing was left behind
        assert loop.converge_once() is Outcome.UP_TO_DATE
        return
    assert outcome is Outcome.FAILED
    assert loop.status.consecutive_failures == 1 and "retry" in loop.status.message

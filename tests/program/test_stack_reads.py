"""stack.py reading clusters itself (``context``): a partial read never plans, so it can
never plan the deletion of what the unread kinds hold."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from lattice_program.program.stack import run
from lattice_program.sources import cluster
from lattice_program.sources.cluster import ClusterRead, ClusterUnavailable
from lattice_program.sources.files import load_paths

ROOT = Path(__file__).resolve().parents[2]
EAST_VPC, WEST_VPC = "vpc-0e1a2b3c4d5e6f701", "vpc-0f9e8d7c6b5a40312"
SERVICE = "aws:vpclattice/service:Service"
TARGET_GROUP = "aws:vpclattice/targetGroup:TargetGroup"


@pytest.fixture(autouse=True)
def two_clusters_from_contexts():
    clusters = [{"name": "east", "vpcId": EAST_VPC, "context": "east-context"},
                {"name": "west", "vpcId": WEST_VPC, "sources": ["examples/checkout-ab"]}]
    pulumi.runtime.set_all_config({"lattice-gateway:clusters": json.dumps(clusters)})
    yield
    pulumi.runtime.set_all_config({})


def reading(monkeypatch, read):
    """``read(context, cluster_name)`` answers for the cluster client; the calls are kept."""
    calls = []

    def read_cluster(*, context=None, cluster_name="default", **_):
        calls.append((context, cluster_name))
        return read(context, cluster_name)
    monkeypatch.setattr(cluster, "read_cluster", read_cluster)
    return calls


EXAMPLE = tuple(load_paths([str(ROOT / "examples/checkout-ab")]))


def test_a_partial_read_stops_the_run_before_anything_is_declared(runtime, monkeypatch):
    calls = reading(monkeypatch, lambda context, name: ClusterRead(
        objects=EXAMPLE[:1], complete=False, failures=("HTTPRoute: 503 Service Unavailable", "Service: timed out"),
        resource_versions={}))
    with pytest.raises(pulumi.RunError) as raised:
        run(ROOT)
    assert str(raised.value) == ("cluster east could not be read completely: HTTPRoute: 503 Service Unavailable; "
                                 "Service: timed out")
    assert calls == [("east-context", "east")]
    # Not even the cluster that was read from files is planned: nothing may be deleted.
    assert runtime.settle().registered == {}


def test_a_cluster_that_cannot_be_addressed_stops_the_run_with_its_reason(runtime, monkeypatch):
    def unavailable(context, name):
        raise ClusterUnavailable(f"kubeconfig context {context!r} not found; set lattice-gateway:clusters[].context")
    reading(monkeypatch, unavailable)
    with pytest.raises(pulumi.RunError, match="kubeconfig context 'east-context' not found"):
        run(ROOT)
    assert runtime.settle().registered == {}


def test_a_complete_read_is_planned_with_the_other_clusters(runtime, monkeypatch):
    reading(monkeypatch, lambda context, name: ClusterRead(objects=EXAMPLE, complete=True, failures=(),
                                                          resource_versions={}))
    run(ROOT)
    mocks = runtime.settle()
    # The same route in both clusters is one service, the first cluster's: east's read
    # was planned, its target groups in east's VPC.
    assert len(mocks.of_type(SERVICE)) == 1
    vpcs = {group.inputs["config"]["vpcIdentifier"] for group in mocks.of_type(TARGET_GROUP).values()}
    assert vpcs == {EAST_VPC}

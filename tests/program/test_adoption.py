"""Adopting an existing service network by ID, ARN or name (behaviour row 2)."""

from __future__ import annotations


import boto3
import pulumi
import pytest
from botocore.stub import Stubber

from lattice_program.program import stack
from lattice_program.program.adoption import AdoptionError, adopted_names, resolve_names
from lattice_program.translate.naming import is_identifier
from lattice_program.program.mock_plan import record_plan
from lattice_program.vocabulary.settings import ServiceNetworkSettings
from tests.support.plans import assert_contract_clean, plan_yaml, problems_for
from tests.support.world import gateway, gateway_class, world

ARN = "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-0123456789abcdef0"
WORLD = world(gateway_class(), gateway("edge", "infra"))


def client():
    return boto3.client("vpc-lattice", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def adopting(name: str):
    return plan_yaml(WORLD, service_networks={"edge": ServiceNetworkSettings(existing=name)})


def test_identifiers_and_names_are_told_apart():
    assert is_identifier("sn-0123456789abcdef0") and is_identifier(ARN)
    assert not is_identifier("shared-network") and not is_identifier("sn-short")


def test_adoption_by_name_plans_offline_and_says_when_it_is_resolved():
    result = adopting("shared-network")
    assert adopted_names(result.model) == {"shared-network"}
    assert_contract_clean(result.model)  # the name is not sent as an identifier
    warnings = problems_for(result, "Gateway", "infra", "edge", severity="warning")
    assert any("looked up when the stack is applied" in p.message for p in warnings)
    association = next(r for r in record_plan(result.model) if r.type.endswith("ServiceNetworkVpcAssociation"))
    assert association.inputs["serviceNetworkIdentifier"] == "shared-network"


def test_resolve_names_replaces_the_name_with_the_arn():
    model = adopting("shared-network").model
    lattice = client()
    with Stubber(lattice) as stub:
        stub.add_response("list_service_networks", {"items": [{"name": "other", "arn": ARN.replace("0123", "9999")}],
                                                    "nextToken": "t"}, {})
        stub.add_response("list_service_networks", {"items": [{"name": "shared-network", "arn": ARN}]},
                          {"nextToken": "t"})
        resolved = resolve_names(model, lattice)
        stub.assert_no_pending_responses()
    [gateway] = resolved.gateways()
    assert gateway.service_network.existing == ARN
    assert adopted_names(resolved) == set()


@pytest.mark.parametrize(("items", "message"), [
    ([], "not found"),
    ([{"name": "shared-network", "arn": ARN}, {"name": "shared-network", "arn": ARN.replace("0123", "4567")}],
     "give the ARN"),
])
def test_a_missing_or_ambiguous_name_is_an_error_naming_it(items, message):
    model = adopting("shared-network").model
    lattice = client()
    with Stubber(lattice) as stub:
        stub.add_response("list_service_networks", {"items": items}, {})
        with pytest.raises(AdoptionError, match=message):
            resolve_names(model, lattice)


def test_adoption_by_id_needs_no_lookup():
    model = adopting("sn-0123456789abcdef0").model
    assert adopted_names(model) == set()
    assert resolve_names(model, object()) is model


@pytest.fixture
def adopting_by_name(monkeypatch, tmp_path):
    """A stack whose Gateway adopts the network named shared-network; its Lattice client,
    to stub the name's look-up on."""
    (tmp_path / "world.yaml").write_text(WORLD)
    pulumi.runtime.set_all_config({"lattice-gateway:vpcId": "vpc-0a1b2c3d4e5f60789",
                                   "lattice-gateway:sources": '["world.yaml"]',
                                   "lattice-gateway:serviceNetworks": '{"edge": {"existing": "shared-network"}}'})
    lattice = client()
    monkeypatch.setattr(stack, "_aws_client", lambda service: lattice)
    try:
        yield lattice
    finally:
        pulumi.runtime.set_all_config({})


def test_pulumi_up_resolves_the_name_before_declaring(runtime, adopting_by_name, tmp_path):
    with Stubber(adopting_by_name) as stub:
        stub.add_response("list_service_networks", {"items": [{"name": "shared-network", "arn": ARN}]}, {})
        stack.run(tmp_path)
    associations = runtime.settle().of_type("aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation")
    assert [a.inputs["serviceNetworkIdentifier"] for a in associations.values()] == [ARN]


def test_pulumi_up_stops_before_declaring_when_the_adopted_name_is_not_found(runtime, adopting_by_name, tmp_path):
    with Stubber(adopting_by_name) as stub:
        stub.add_response("list_service_networks", {"items": []}, {})
        with pytest.raises(pulumi.RunError, match="service network 'shared-network'.*not found"):
            stack.run(tmp_path)
    assert runtime.settle().registered == {}


def test_the_look_up_clients_use_the_stack_s_aws_region():
    pulumi.runtime.set_all_config({"aws:region": "eu-west-3"})
    try:
        assert stack._aws_client("vpc-lattice").meta.region_name == "eu-west-3"
    finally:
        pulumi.runtime.set_all_config({})

"""Sharing through AWS RAM under Pulumi's mock runtime: the share, its resource and
principal associations as children of the Gateway or route, the stack outputs that say so,
the settings that name nothing or cannot be honoured, and the consumer side's reused VPC
associations."""

from __future__ import annotations

import dataclasses

import pytest

from components.sharing import principal_id, reuse_vpc_associations, setting_problems, shares_for
from lattice_program.program.declare import declare
from lattice_program.vocabulary import outputs
from lattice_program.vocabulary.settings import SettingsError, settings_from_config
from tests.components.test_components import ADOPTED_GW, MAIN_GW, ROUTE_KEY, VPC_ASSOC, model

SHARE = "aws:ram/resourceShare:ResourceShare"
RESOURCE = "aws:ram/resourceAssociation:ResourceAssociation"
PRINCIPAL = "aws:ram/principalAssociation:PrincipalAssociation"
GATEWAY_TYPE = "lattice:index:Gateway"
ROUTE_TYPE = "lattice:index:HTTPRoute"

ACCOUNT = "111122223333"
OU = "arn:aws:organizations::444455556666:ou/o-abcdefghij/ou-ab12-cdefgh34"
ORGANIZATION = "arn:aws:organizations::444455556666:organization/o-abcdefghij"


def settings(**config):
    return settings_from_config({"vpcId": "vpc-0a1b2c3d4e5f60789", **config})


def test_a_shared_gateway_gets_a_share_with_its_network_and_one_association_per_principal(runtime):
    stack = settings(sharing={"gateways": {"main": {"principals": [ACCOUNT, OU]}}})
    handles = declare(model(), settings=stack)
    mocks = runtime.settle()

    share = mocks.get(SHARE, f"{MAIN_GW}/share")
    assert share.inputs["name"] == "lattice-gateway-main-infra"
    assert share.inputs["allowExternalPrincipals"] is False  # passed, never RAM's default (true)
    assert share.parent_urn.endswith(f"{GATEWAY_TYPE}::{MAIN_GW}")
    resource = mocks.get(RESOURCE, f"{MAIN_GW}/share/resource")
    assert resource.inputs == {"resourceArn": f"arn:{MAIN_GW}", "resourceShareArn": f"arn:{MAIN_GW}/share"}
    principals = mocks.of_type(PRINCIPAL)
    assert {reg.inputs["principal"] for reg in principals.values()} == {ACCOUNT, OU}
    assert set(principals) == {f"{MAIN_GW}/share/principal/{ACCOUNT}", f"{MAIN_GW}/share/principal/ou-ab12-cdefgh34"}
    assert all(reg.inputs["resourceShareArn"] == f"arn:{MAIN_GW}/share" for reg in principals.values())

    exported = runtime.resolve(handles.exports[MAIN_GW])
    assert exported[outputs.SHARED_WITH] == [ACCOUNT, OU]
    assert exported[outputs.RESOURCE_SHARE_ARN] == f"arn:{MAIN_GW}/share"
    assert outputs.SHARED_WITH not in runtime.resolve(handles.exports[ROUTE_KEY])  # the route is not shared
    assert handles.sharing_problems == ()


def test_a_shared_route_shares_its_service_and_the_external_flag_is_taken_as_written(runtime):
    stack = settings(sharing={"routes": {"shop/cart": {"principals": [ORGANIZATION], "allowExternalPrincipals": True,
                                                       "name": "cart-for-everyone"}}})
    handles = declare(model(), settings=stack)
    mocks = runtime.settle()

    share = mocks.get(SHARE, f"{ROUTE_KEY}/share")
    assert share.inputs["name"] == "cart-for-everyone"
    assert share.inputs["allowExternalPrincipals"] is True
    assert share.parent_urn.endswith(f"{ROUTE_TYPE}::{ROUTE_KEY}")
    assert mocks.get(RESOURCE, f"{ROUTE_KEY}/share/resource").inputs["resourceArn"] == f"arn:{ROUTE_KEY}"
    assert mocks.get(PRINCIPAL, f"{ROUTE_KEY}/share/principal/o-abcdefghij").inputs["principal"] == ORGANIZATION
    assert runtime.resolve(handles.exports[ROUTE_KEY])[outputs.SHARED_WITH] == [ORGANIZATION]


def test_shares_naming_nothing_or_an_adopted_network_are_refused_and_the_rest_is_still_declared(runtime):
    stack = settings(sharing={
        "gateways": {"nowhere": {"principals": [ACCOUNT]}, "shared": {"principals": [ACCOUNT]},
                     "main": {"principals": [ACCOUNT]}},
        "routes": {"shop/missing": {"principals": [ACCOUNT]}}})
    handles = declare(model(), settings=stack)
    mocks = runtime.settle()

    problems = dict(handles.sharing_problems)
    assert set(problems) == {"lattice-gateway:sharing.gateways.nowhere", "lattice-gateway:sharing.gateways.shared",
                             "lattice-gateway:sharing.routes.shop/missing"}
    assert "no Gateway named 'nowhere'" in problems["lattice-gateway:sharing.gateways.nowhere"]
    assert "adopted service network" in problems["lattice-gateway:sharing.gateways.shared"]
    assert set(mocks.of_type(SHARE)) == {f"{MAIN_GW}/share"}  # the valid share still converges
    assert f"{ADOPTED_GW}/share" not in mocks.of_type(SHARE)
    assert [p.field for p in setting_problems(stack, model())] == [
        "lattice-gateway:sharing.gateways.nowhere", "lattice-gateway:sharing.gateways.shared",
        "lattice-gateway:sharing.routes.shop/missing"]


def test_a_route_reference_matching_several_kinds_asks_for_the_kind():
    from tests.components.test_components import cart_route

    routes = (cart_route(), cart_route(kind="GRPCRoute", key="GRPCRoute/shop/cart"))
    stack = settings(sharing={"routes": {"shop/cart": {"principals": [ACCOUNT]},
                                         "GRPCRoute/shop/cart": {"principals": [OU]}}})
    plan = shares_for(stack.sharing, model(*routes))
    assert [share.owner_key for share in plan.shares] == ["GRPCRoute/shop/cart"]
    assert plan.problems[0][0] == "lattice-gateway:sharing.routes.shop/cart"
    assert "write Kind/namespace/name" in plan.problems[0][1]


@pytest.mark.parametrize("principal, words", [
    ("12345", "not a RAM principal"),
    ("arn:aws:organizations::444455556666:ou/o-abcdefghij", "not a RAM principal"),
    ("arn:aws:iam::444455556666:root", "not a RAM principal"),
])
def test_invalid_principals_are_refused_naming_the_key(principal, words):
    with pytest.raises(SettingsError) as error:
        settings(sharing={"gateways": {"main": {"principals": [principal]}}})
    assert "lattice-gateway:sharing.gateways.main.principals" in str(error.value)
    assert words in str(error.value)


def test_an_empty_or_repeated_principal_list_and_a_bad_route_key_are_refused():
    for config, key in [({"gateways": {"main": {"principals": []}}}, "sharing.gateways.main.principals"),
                        ({"gateways": {"main": {"principals": [ACCOUNT, ACCOUNT]}}}, "sharing.gateways.main.principals"),
                        ({"routes": {"cart": {"principals": [ACCOUNT]}}}, "sharing.routes"),
                        ({"gateways": {"main": {"principals": [ACCOUNT], "allowExternal": True}}}, "allowExternal")]:
        with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
            settings(sharing=config)


def test_principal_ids_fit_a_logical_name():
    assert principal_id(ACCOUNT) == ACCOUNT
    assert principal_id(OU) == "ou-ab12-cdefgh34" and "::" not in principal_id(ORGANIZATION)


# --- the consumer side ------------------------------------------------------------------

REUSED = "snva-0123456789abcdef0"
VPC_A = "vpc-0a1b2c3d4e5f60789"


def consumer_model():
    """The test model with the main Gateway's first association in a VPC settings can name."""
    base = model()
    main = next(g for g in base.gateways() if g.key == MAIN_GW)
    first, *rest = main.vpc_associations
    main = dataclasses.replace(main, vpc_associations=(dataclasses.replace(first, vpc_identifier=VPC_A), *rest))
    classes = tuple(dataclasses.replace(gc, gateways=tuple(main if g.key == MAIN_GW else g for g in gc.gateways))
                    for gc in base.gateway_classes)
    return dataclasses.replace(base, gateway_classes=classes)


def test_an_existing_vpc_association_is_reused_not_declared(runtime):
    stack = settings(serviceNetworks={"main": {"existingVpcAssociations": {VPC_A: REUSED}}})
    handles = declare(consumer_model(), settings=stack)
    mocks = runtime.settle()

    associations = mocks.of_type(VPC_ASSOC)
    assert set(associations) == {f"{MAIN_GW}/cluster-b", f"{ADOPTED_GW}/cluster-a"}  # cluster-a's is reused
    assert runtime.resolve(handles.exports[MAIN_GW])[outputs.REUSED_VPC_ASSOCIATIONS] == {VPC_A: REUSED}
    assert handles.sharing_problems == ()


def test_without_the_setting_every_association_is_declared(runtime):
    declare(consumer_model(), settings=settings())
    assert f"{MAIN_GW}/cluster-a" in runtime.settle().of_type(VPC_ASSOC)


def test_a_reused_association_for_a_vpc_no_gateway_associates_is_reported():
    stack = settings(serviceNetworks={"main": {"existingVpcAssociations": {"vpc-0f9e8d7c6b5a40312": REUSED}}})
    reuse = reuse_vpc_associations(stack.service_networks, consumer_model())
    assert reuse.model == consumer_model()  # nothing left out
    assert reuse.problems[0][0] == "lattice-gateway:serviceNetworks.main.existingVpcAssociations.vpc-0f9e8d7c6b5a40312"


def test_a_malformed_association_id_is_refused_naming_the_key():
    with pytest.raises(SettingsError, match=r"serviceNetworks\.main\.existingVpcAssociations.*snva-"):
        settings(serviceNetworks={"main": {"existingVpcAssociations": {"vpc-0a1b2c3d4e5f60789": "sn-123"}}})


def test_declare_reads_sharing_from_the_stack_config_as_pulumi_up_runs_it(runtime):
    import json

    import pulumi

    pulumi.runtime.set_all_config({
        "lattice-gateway:vpcId": "vpc-0a1b2c3d4e5f60789",
        "lattice-gateway:sharing": json.dumps({"gateways": {"main": {"principals": [ACCOUNT]}}})})
    try:
        handles = declare(model())
        mocks = runtime.settle()
    finally:
        pulumi.runtime.set_all_config({})
    assert mocks.get(PRINCIPAL, f"{MAIN_GW}/share/principal/{ACCOUNT}").inputs["principal"] == ACCOUNT
    assert runtime.resolve(handles.exports[MAIN_GW])[outputs.SHARED_WITH] == [ACCOUNT]


@pytest.mark.needs_pulumi_cli
def test_a_consumer_stack_reuses_the_existing_association_where_creating_it_fails(real_pulumi, tmp_path):
    """Against the real engine and the emulator (which refuses a second association of one
    VPC): the network shared to us exists with our VPC associated already."""
    import boto3
    import yaml
    from typer.testing import CliRunner

    from cli.main import app
    from tests.engine.test_real_engine import VPC, project

    lattice = boto3.client("vpc-lattice")
    network = lattice.create_service_network(name="shared-by-owner")
    existing = lattice.create_service_network_vpc_association(serviceNetworkIdentifier=network["id"],
                                                              vpcIdentifier=VPC)["id"]
    root = project(tmp_path, "checkout-ab")
    settings_file = root / "stacks" / "Pulumi.realtest.yaml"
    document = yaml.safe_load(settings_file.read_text())
    document["config"]["lattice-gateway:serviceNetworks"] = {"storefront": {"existing": network["arn"]}}
    settings_file.write_text(yaml.safe_dump(document))
    runner = CliRunner()

    def up():
        return runner.invoke(app, ["up", "--yes", "--stack", "realtest", "--project-dir", str(root)])

    refused = up()
    assert refused.exit_code != 0 and "already associated" in refused.output

    document["config"]["lattice-gateway:serviceNetworks"]["storefront"]["existingVpcAssociations"] = {VPC: existing}
    settings_file.write_text(yaml.safe_dump(document))
    applied = up()
    assert applied.exit_code == 0, applied.output

    def associations():
        return [a["id"] for a in lattice.list_service_network_vpc_associations(
            serviceNetworkIdentifier=network["id"])["items"]]

    assert associations() == [existing]
    services = lattice.list_service_network_service_associations(serviceNetworkIdentifier=network["id"])["items"]
    assert len(services) == 1  # the route's service joined the shared network
    destroyed = runner.invoke(app, ["destroy", "--yes", "--stack", "realtest", "--project-dir", str(root)])
    assert destroyed.exit_code == 0, destroyed.output
    assert associations() == [existing]  # never ours to delete

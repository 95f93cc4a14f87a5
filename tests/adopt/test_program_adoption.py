"""The program's side: adopted resources declared with import and protect, under their own
physical names, with our ManagedBy tag; while adopt imports, every input from AWS."""

from __future__ import annotations

import pulumi
import pytest

from lattice_program.program.adoption import MANAGED_BY_TAG, adoption_transformation
from lattice_program.vocabulary.settings import AdoptedResourceSettings, AdoptionSettings

SERVICE = "aws:vpclattice/service:Service"
RECORD = AdoptionSettings(managed_by="lattice-gateway/lattice-gateway/dev", resources=[
    AdoptedResourceSettings(type=SERVICE, logical_name="HTTPRoute/default/rates", id="svc-0123456789abcdef0",
                            physical_name="rates-default")])


def args(name: str, depends_on=None) -> pulumi.ResourceTransformationArgs:
    opts = pulumi.ResourceOptions()
    opts.depends_on = depends_on  # set after construction: a stand-in, not a Resource
    return pulumi.ResourceTransformationArgs(
        resource=None, type_=SERVICE, name=name,
        props={"name": "rates-default-63168b", "tags": {"lattice-gateway/route": "HTTPRoute/default/rates"},
               "custom_domain_name": None},
        opts=opts)


def test_an_adopted_resource_is_imported_protected_keeps_its_name_and_gets_our_tag():
    result = adoption_transformation(RECORD)(args("HTTPRoute/default/rates"))
    assert result is not None
    assert result.opts.import_ == "svc-0123456789abcdef0" and result.opts.protect is True
    assert result.props["name"] == "rates-default"
    assert result.props["tags"] == {"lattice-gateway/route": "HTTPRoute/default/rates",
                                    MANAGED_BY_TAG: "lattice-gateway/lattice-gateway/dev"}
    assert not result.opts.ignore_changes


def test_other_resources_are_left_as_declared():
    assert adoption_transformation(RECORD)(args("HTTPRoute/default/checkout")) is None


def test_the_import_run_takes_every_input_from_aws_and_depends_on_nothing():
    declared = args("HTTPRoute/default/rates", ["a rule the import does not create"])
    result = adoption_transformation(RECORD, importing=lambda: True)(declared)
    assert result.props == {"name": None, "tags": None, "custom_domain_name": None}
    assert set(result.opts.ignore_changes) >= {"name", "tags", "customDomainName", "tagsAll"}
    assert not result.opts.depends_on and result.opts.protect is True
    assert declared.opts.depends_on == ["a rule the import does not create"]  # the program's own options untouched


def test_only_networks_adopted_by_name_are_resolved_the_others_are_kept():
    import boto3
    from botocore.stub import Stubber

    from lattice_program.program.adoption import resolve_names
    from lattice_program.vocabulary.settings import ServiceNetworkSettings
    from tests.support.plans import plan_yaml
    from tests.support.world import gateway, gateway_class, world

    arn = "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-0123456789abcdef0"
    model = plan_yaml(world(gateway_class(), gateway("edge", "infra"), gateway("internal", "infra")),
                      service_networks={"edge": ServiceNetworkSettings(existing="shared-network")}).model
    lattice = boto3.client("vpc-lattice", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(lattice) as stub:
        stub.add_response("list_service_networks", {"items": [{"name": "shared-network", "arn": arn}]}, {})
        resolved = resolve_names(model, lattice)
    by_name = {g.service_network.name: g for g in resolved.gateways()}
    assert by_name["edge"].service_network.existing == arn
    untouched = next(g for g in model.gateways() if g.service_network.name == "internal")
    assert by_name["internal"] is untouched and untouched.service_network.existing is None


@pytest.mark.parametrize("raw", ["{not json", '{"managedBy": 7, "resources": "none"}'])
def test_an_unreadable_adoption_record_names_the_key_and_the_fix(raw):
    from lattice_program.program.adoption import AdoptionError, recorded_adoption

    with pytest.raises(AdoptionError, match="lattice-gateway:adoption is not an adoption record latticectl adopt "
                                            "wrote .*rerun `latticectl adopt`, or remove the key") as refused:
        recorded_adoption(raw)
    assert "\n" not in str(refused.value) and "errors.pydantic.dev" not in str(refused.value)
    assert recorded_adoption(None) is None
    assert recorded_adoption(RECORD.model_dump_json(by_alias=True)) == RECORD


def test_a_record_of_the_wrong_shape_names_each_field_on_one_line():
    from lattice_program.program.adoption import AdoptionError, recorded_adoption

    with pytest.raises(AdoptionError) as refused:
        recorded_adoption('{"managedBy": 7, "resources": "none"}')
    assert "(managedBy: 7: Input should be a valid string; resources: 'none': Input should be a valid list)" in str(
        refused.value)


def test_the_program_stops_on_an_unreadable_adoption_record():
    from lattice_program.program.adoption import register_adoption

    pulumi.runtime.set_all_config({"lattice-gateway:adoption": "{not json"})
    try:
        with pytest.raises(pulumi.RunError, match="lattice-gateway:adoption is not an adoption record"):
            register_adoption()
    finally:
        pulumi.runtime.set_all_config({})

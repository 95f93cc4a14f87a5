"""The program's side: adopted resources declared with import and protect, under their own
physical names, with our ManagedBy tag; while adopt imports, every input from AWS."""

from __future__ import annotations

import pulumi

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

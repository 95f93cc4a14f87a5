"""Discovery and matching against the emulator seeded as the controller leaves an account:
the report per Kubernetes object and the import set, exactly."""

from __future__ import annotations

import pytest

from lattice_program.adopt import inventory as inv
from lattice_program.adopt.inventory import InventoryIncomplete, read_inventory
from lattice_program.adopt.ownership import ManagedByError, controller_service_name, parse_managed_by, truncate
from lattice_program.adopt.report import DIFFERENCES, LEFT_ALONE, MATCHED, NOT_FOUND, REFUSED
from lattice_program.adopt.survey import survey
from tests.adopt.controller_seed import CONTROLLER, MANAGED_BY_KEY, OTHER_CLUSTER

OURS = "lattice-gateway/lattice-gateway/dev"


def run_survey(emulator, objects, settings):
    return survey(objects, settings, read_inventory(emulator.client()), parse_managed_by(CONTROLLER), OURS,
                  stack="dev", project="lattice-gateway")


def statuses(found):
    return {item.object: item.status for item in found.report.objects}


def test_report_per_object(emulator, seeded, objects, settings):
    found = run_survey(emulator, objects, settings)
    assert statuses(found) == {"Gateway/default/my-hotel": MATCHED, "HTTPRoute/default/rates": DIFFERENCES,
                               "HTTPRoute/default/inventory": LEFT_ALONE, "HTTPRoute/default/checkout": NOT_FOUND}
    # The hand-made network is used as it stands, never imported.
    assert found.network_references == {"my-hotel": seeded.network["id"]}
    inventory = next(o for o in found.report.objects if o.object == "HTTPRoute/default/inventory")
    owners = inventory.reasons[:-1]
    assert owners and all(OTHER_CLUSTER in reason for reason in owners)
    assert "nothing of HTTPRoute/default/inventory is adopted" in inventory.reasons[-1]
    # The controller's resources for a route the stack does not declare: reported, left alone.
    legacy = {seeded.services["legacy"]["id"], seeded.listeners["legacy"]["id"], seeded.associations["legacy"]["id"],
              seeded.rules["/old"]["id"], seeded.target_groups["legacy/parking"]["id"]}
    assert {f.id for f in found.report.unclaimed} == legacy


def test_import_set_is_exactly_what_the_controller_made_for_the_stack(emulator, seeded, objects, settings):
    found = run_survey(emulator, objects, settings)
    service, listener = seeded.services["rates"]["id"], seeded.listeners["rates"]["id"]
    expected = {
        (inv.VPC_ASSOCIATION, seeded.vpc_association["id"]),
        (inv.SERVICE, service),
        (inv.SERVICE_ASSOCIATION, seeded.associations["rates"]["id"]),
        (inv.LISTENER, f"{service}/{listener}"),
        (inv.RULE, f"{service}/{listener}/{seeded.rules['/parking']['id']}"),
        (inv.RULE, f"{service}/{listener}/{seeded.rules['/review']['id']}"),
        (inv.TARGET_GROUP, seeded.target_groups["rates/parking"]["id"]),
        (inv.TARGET_GROUP, seeded.target_groups["rates/review"]["id"]),
    }
    assert {(m.planned.type, m.found.import_id) for m in found.report.imports} == expected
    by_logical = {m.planned.name: m.found.id for m in found.report.imports}
    # Target groups found by identity tags despite their random suffix.
    assert by_logical["HTTPRoute/default/rates/backend/default/parking:80"] == seeded.target_groups["rates/parking"]["id"]
    assert by_logical["HTTPRoute/default/rates/backend/default/review:80"] == seeded.target_groups["rates/review"]["id"]


def test_differences_name_the_input_and_what_the_first_up_does(emulator, seeded, objects, settings):
    found = run_survey(emulator, objects, settings)
    matches = {m.planned.name: m for m in found.report.imports}
    service = matches["HTTPRoute/default/rates"]
    assert [(d.input, d.theirs, d.effect) for d in service.differences] == [("name", "rates-default", "kept")]
    rule = next(m for m in found.report.imports if m.found.id == seeded.rules["/parking"]["id"])
    effects = {d.input: d.effect for d in rule.differences}
    assert effects["match"] == "update" and "replace" not in effects.values()
    assert [d for m in found.report.imports for d in m.replaces] == []


def test_a_listener_whose_protocol_cannot_change_in_place_is_refused(emulator, seeded, objects, settings):
    client = emulator.client()
    service = seeded.services["rates"]["id"]
    client.delete_listener(serviceIdentifier=service, listenerIdentifier=seeded.listeners["rates"]["id"])
    client.create_listener(serviceIdentifier=service, name="rates-default-80-https", port=80, protocol="HTTPS",
                           defaultAction={"fixedResponse": {"statusCode": 404}}, tags={MANAGED_BY_KEY: CONTROLLER})
    found = run_survey(emulator, objects, settings)
    assert statuses(found)["HTTPRoute/default/rates"] == REFUSED
    (refused,) = found.report.refused
    assert any("protocol" in reason and "'HTTP'" in reason and "'HTTPS'" in reason for reason in refused.reasons)


def test_a_resource_another_stack_owns_is_refused_and_not_imported(emulator, seeded, objects, settings):
    emulator.client().tag_resource(resourceArn=seeded.services["rates"]["arn"],
                                   tags={MANAGED_BY_KEY: "lattice-gateway/lattice-gateway/prod"})
    found = run_survey(emulator, objects, settings)
    assert statuses(found)["HTTPRoute/default/rates"] == LEFT_ALONE
    rates = next(o for o in found.report.objects if o.object == "HTTPRoute/default/rates")
    assert any("another lattice-gateway stack" in reason for reason in rates.reasons)
    assert seeded.services["rates"]["id"] not in {m.found.id for m in found.report.imports}
    assert {m.planned.type for m in found.report.imports} == {inv.VPC_ASSOCIATION}


def test_a_failed_read_adopts_nothing(emulator, seeded):
    client = emulator.client()

    class Failing:
        def __getattr__(self, name):
            return getattr(client, name)

        def get_listener(self, **_):
            from botocore.exceptions import EndpointConnectionError
            raise EndpointConnectionError(endpoint_url="https://vpc-lattice.us-west-2.amazonaws.com")

    with pytest.raises(InventoryIncomplete, match="get_listener.*nothing was adopted"):
        read_inventory(Failing())


def test_controller_naming_and_managed_by():
    assert truncate("-abc-", 4) == "abc"
    assert controller_service_name("a-very-long-route-name-here", "namespace-that-is-long") == \
        "a-very-long-route-na-namespace-that-is"
    assert parse_managed_by(CONTROLLER).cluster == "hotel-cluster"
    with pytest.raises(ManagedByError, match="ACCOUNT/CLUSTER/VPC"):
        parse_managed_by("123/cluster")

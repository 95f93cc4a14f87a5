"""Matching rules one by one, on planned resources and found resources written out: the
identities (service network by name, target groups by their identity tags, the port
that tells several apart), ambiguity, and what each differing input makes the first up do."""

from __future__ import annotations

from typing import Any, Dict, Optional

from lattice_program.adopt import inventory as inv
from lattice_program.adopt.inventory import Found, Inventory
from lattice_program.adopt.matching import match_plan
from lattice_program.adopt.ownership import MANAGED_BY, TAG_BASE, Owner, parse_managed_by
from lattice_program.program.mock_plan import REF_PREFIX, PlannedResource
from tests.adopt.controller_seed import CONTROLLER, VPC

OURS = "lattice-gateway/lattice-gateway/dev"
OWNED = {MANAGED_BY: CONTROLLER}
CONTROLLER_IDENTITY = parse_managed_by(CONTROLLER)


def planned(type_: str, logical: str, **inputs: Any) -> PlannedResource:
    return PlannedResource(urn=f"urn:pulumi:dev::lattice-gateway::{type_}::{logical}", type=type_, name=logical,
                           parent=None, inputs=inputs)


def found(type_: str, id_: str, *, name: Optional[str] = None, tags: Optional[Dict[str, str]] = None,
          parent: Optional[str] = None, **detail: Any) -> Found:
    return Found(type=type_, id=id_, arn=f"arn:aws:vpc-lattice:us-west-2:123456789012:x/{id_}", name=name,
                 import_id=id_, detail={"id": id_, "name": name, **detail}, tags=OWNED if tags is None else tags,
                 parent=parent)


def match(resources, *items):
    matches, unclaimed = match_plan(list(resources), Inventory(tuple(items)), CONTROLLER_IDENTITY, OURS)
    return {m.planned.name: m for m in matches}, unclaimed


def differences(result):
    return [(d.input, d.ours, d.theirs, d.effect) for d in result.differences]


def test_a_service_network_is_matched_by_name_and_its_auth_type_updated_in_place():
    network = found(inv.SERVICE_NETWORK, "sn-0123456789abcdef0", name="my-hotel", authType="NONE")
    other = found(inv.SERVICE_NETWORK, "sn-0fedcba9876543210", name="elsewhere", authType="NONE")
    matches, unclaimed = match([planned(inv.SERVICE_NETWORK, "Gateway/default/my-hotel", name="my-hotel",
                                        authType="AWS_IAM")], network, other)
    result = matches["Gateway/default/my-hotel"]
    assert result.found == network and result.owner is Owner.CONTROLLER and result.importable
    assert differences(result) == [("authType", "AWS_IAM", "NONE", "update")]
    assert unclaimed == [other]  # the controller's, claimed by no planned resource: reported


def test_two_candidates_adopt_neither():
    first = found(inv.SERVICE, "svc-0aaaaaaaaaaaaaaa1", name="rates-default")
    second = found(inv.SERVICE, "svc-0aaaaaaaaaaaaaaa2", name="rates-default")
    matches, unclaimed = match([planned(inv.SERVICE, "HTTPRoute/default/rates", name="rates-default-63168b")],
                               first, second)
    result = matches["HTTPRoute/default/rates"]
    assert result.found is None and not result.importable
    assert result.note.startswith("ambiguous: 2 candidates (svc-0aaaaaaaaaaaaaaa1, svc-0aaaaaaaaaaaaaaa2); none is adopted")
    assert unclaimed == [first, second]


def test_an_association_without_a_network_reference_matches_nothing():
    association = found(inv.VPC_ASSOCIATION, "snva-0123456789abcdef0", serviceNetworkId="sn-0123456789abcdef0",
                        vpcId=VPC)
    matches, _ = match([planned(inv.VPC_ASSOCIATION, "Gateway/default/my-hotel/vpc", serviceNetworkIdentifier=None,
                                vpcIdentifier=VPC)], association)
    assert matches["Gateway/default/my-hotel/vpc"].found is None
    assert matches["Gateway/default/my-hotel/vpc"].note == "not found"


def _export_group(id_: str, port: int, **config: Any) -> Found:
    tags = {**OWNED, TAG_BASE + "ClusterName": "hotel-cluster", TAG_BASE + "SourceTypeKey": "ServiceExport",
            TAG_BASE + "ServiceName": "ledger", TAG_BASE + "ServiceNamespace": "commerce"}
    return found(inv.TARGET_GROUP, id_, name=f"k8s-commerce-ledger-{id_[-4:]}", tags=tags, type="IP",
                 config={"port": port, "protocol": "HTTP", "protocolVersion": "HTTP1", "vpcIdentifier": VPC,
                         "ipAddressType": "IPV4", **config})


def _export_plan(port: int, **config: Any) -> PlannedResource:
    return planned(inv.TARGET_GROUP, f"ServiceExport/commerce/ledger/east/http-{port}", name="ledger-east-1a2b3c",
                   type="IP", tags={"lattice-gateway/export": "commerce/ledger"},
                   config={"port": port, "protocol": "HTTP", "protocolVersion": "HTTP1", "vpcIdentifier": VPC,
                           "ipAddressType": "IPV4", **config})


def test_an_exports_target_group_is_found_by_its_tags_and_told_apart_by_port():
    on_80, on_8080 = _export_group("tg-000000000000a080", 80), _export_group("tg-00000000000a8080", 8080)
    matches, _ = match([_export_plan(8080)], on_80, on_8080)
    result = matches["ServiceExport/commerce/ledger/east/http-8080"]
    assert result.found == on_8080
    assert differences(result) == [("name", "ledger-east-1a2b3c", "k8s-commerce-ledger-8080", "kept")]


def test_of_several_candidates_none_on_the_port_all_stay_candidates():
    matches, _ = match([_export_plan(9090)], _export_group("tg-000000000000a080", 80),
                       _export_group("tg-00000000000a8080", 8080))
    assert matches["ServiceExport/commerce/ledger/east/http-9090"].note.startswith("ambiguous: 2 candidates")


def test_a_target_group_without_identity_tags_is_never_matched():
    group = _export_group("tg-000000000000a080", 80)
    untagged = planned(inv.TARGET_GROUP, "HTTPRoute/default/rates/backend/default/parking:80", name="x", type="IP",
                       tags={"lattice-gateway/route": "HTTPRoute/default/rates"}, config={"port": 80})
    matches, _ = match([untagged], group)
    assert matches[untagged.name].found is None and matches[untagged.name].note == "not found"


def test_a_health_check_differs_in_place_and_a_fixed_config_field_forces_a_replacement():
    group = _export_group("tg-000000000000a080", 80, healthCheck={"enabled": True, "path": "/", "port": None})
    ours = _export_plan(80, protocolVersion=None, healthCheck={"enabled": True, "path": "/healthz"},
                        ipAddressType="IPV6")
    matches, _ = match([ours], group)
    result = matches[ours.name]
    assert differences(result)[1:] == [
        ("config.healthCheck", {"path": "/healthz"}, {"enabled": True, "path": "/"}, "update"),
        ("config.ipAddressType", "IPV6", "IPV4", "replace")]
    assert [d.input for d in result.replaces] == ["config.ipAddressType"]
    same = _export_plan(80, healthCheck={"enabled": True, "path": "/"})
    (kept,) = match([same], _export_group("tg-000000000000a080", 80, healthCheck={"enabled": True, "path": "/"}))[0].values()
    assert [d.input for d in kept.differences] == ["name"]


def test_security_groups_compare_as_a_set():
    network_ref = REF_PREFIX + "urn:pulumi:dev::lattice-gateway::" + inv.SERVICE_NETWORK + "::Gateway/default/my-hotel"
    network = found(inv.SERVICE_NETWORK, "sn-0123456789abcdef0", name="my-hotel")
    association = found(inv.VPC_ASSOCIATION, "snva-0123456789abcdef0", serviceNetworkId="sn-0123456789abcdef0",
                        vpcId=VPC, securityGroupIds=["sg-0b", "sg-0a"])
    plan = [planned(inv.SERVICE_NETWORK, "Gateway/default/my-hotel", name="my-hotel"),
            planned(inv.VPC_ASSOCIATION, "Gateway/default/my-hotel/vpc", serviceNetworkIdentifier=network_ref,
                    vpcIdentifier=VPC, securityGroupIds=["sg-0a", "sg-0b"])]
    matches, _ = match(plan, network, association)
    assert matches["Gateway/default/my-hotel/vpc"].found == association
    assert matches["Gateway/default/my-hotel/vpc"].differences == ()
    plan[1].inputs["securityGroupIds"] = ["sg-0a", "sg-0c"]
    changed = match(plan, network, association)[0]["Gateway/default/my-hotel/vpc"]
    assert differences(changed) == [("securityGroupIds", ["sg-0a", "sg-0c"], ["sg-0a", "sg-0b"], "update")]


def _service_and_listener(default_action: Optional[dict]):
    service_urn = "urn:pulumi:dev::lattice-gateway::" + inv.SERVICE + "::HTTPRoute/default/rates"
    listener_urn = "urn:pulumi:dev::lattice-gateway::" + inv.LISTENER + "::HTTPRoute/default/rates/http-80"
    service = found(inv.SERVICE, "svc-0aaaaaaaaaaaaaaa1", name="rates-default",
                    tags={**OWNED, TAG_BASE + "RouteName": "rates", TAG_BASE + "RouteNamespace": "default"})
    listener = found(inv.LISTENER, "listener-0aaaaaaaaaaaaaaa1", name="rates-default-80-http", parent=service.id,
                     port=80, protocol="HTTP", **({"defaultAction": default_action} if default_action else {}))
    plan = [planned(inv.SERVICE, "HTTPRoute/default/rates", name="rates-default"),
            planned(inv.LISTENER, "HTTPRoute/default/rates/http-80", name="http-80", port=80, protocol="HTTP",
                    serviceIdentifier=REF_PREFIX + service_urn,
                    defaultAction={"fixedResponse": {"statusCode": 404}})]
    return plan, service, listener, listener_urn


def test_a_listener_whose_default_action_is_unreadable_gets_it_in_place():
    plan, service, listener, _ = _service_and_listener(None)
    result = match(plan, service, listener)[0]["HTTPRoute/default/rates/http-80"]
    assert result.found == listener
    assert [(d.input, d.ours, d.theirs, d.effect) for d in result.differences if d.input != "name"] == [
        ("defaultAction", ("fixed", 404), None, "update")]


def test_rules_are_told_apart_by_their_header_matches():
    plan, service, listener, listener_urn = _service_and_listener({"fixedResponse": {"statusCode": 404}})
    headers = [{"name": "X-Env", "match": {"exact": "beta"}}]
    rule_match = {"httpMatch": {"pathMatch": {"match": {"prefix": "/parking"}}, "headerMatches": headers}}
    beta = found(inv.RULE, "rule-0aaaaaaaaaaaaaaa1", name="k8s-1-rule-1", parent=listener.id, priority=1,
                 match={"httpMatch": {"pathMatch": {"match": {"prefix": "/parking"}},
                                      "headerMatches": [{"name": "x-env", "match": {"exact": "beta"}}]}},
                 action={"fixedResponse": {"statusCode": 404}})
    plain = found(inv.RULE, "rule-0aaaaaaaaaaaaaaa2", name="k8s-1-rule-2", parent=listener.id, priority=2,
                  match={"httpMatch": {"pathMatch": {"match": {"prefix": "/parking"}}}},
                  action={"fixedResponse": {"statusCode": 404}})
    plan.append(planned(inv.RULE, "HTTPRoute/default/rates/http-80/rule-0", name="rule-0", priority=1,
                        listenerIdentifier=REF_PREFIX + listener_urn, match=rule_match,
                        action={"fixedResponse": {"statusCode": 404}}))
    result = match(plan, service, listener, plain, beta)[0]["HTTPRoute/default/rates/http-80/rule-0"]
    assert result.found == beta
    # The header name's case differs: the same rule, its match updated in place.
    assert [(d.input, d.effect) for d in result.differences if d.input != "name"] == [("match", "update")]
    assert result.differences[-1].ours["httpMatch"]["headerMatches"] == headers

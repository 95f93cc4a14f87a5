"""The VPC Lattice emulator, driven through real boto3 over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from lattice_program.contract.check import python_pattern
from tests.support.lattice_emulator import ENDPOINT_ENV, LatticeEmulator, replacement_members

ROOT = Path(__file__).resolve().parents[2]
MODEL = botocore.session.get_session().get_service_model("vpc-lattice")
VPC = "vpc-0123456789abcdef0"
OTHER_VPC = "vpc-0fedcba9876543210"
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-000000000000"
LOG_BUCKET = "arn:aws:s3:::access-logs"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]})


@pytest.fixture
def emu():
    with LatticeEmulator(account_id="123456789012", region="us-west-2", seed=7) as emulator:
        yield emulator
        assert emulator.internal_errors == []


@pytest.fixture
def lattice(emu):
    return emu.client()


def refused(code, status, call, **params):
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), error
    return error


def network(lattice, name="net-a", **extra):
    return lattice.create_service_network(name=name, **extra)


def service(lattice, name="shop", **extra):
    return lattice.create_service(name=name, **extra)


def group(lattice, name="shop-v1", protocol="HTTP", port=8080, vpc=VPC, **extra):
    return lattice.create_target_group(
        name=name, type="IP", config={"protocol": protocol, "port": port, "vpcIdentifier": vpc}, **extra)


def forward(*groups):
    return {"forward": {"targetGroups": [{"targetGroupIdentifier": g["id"]} for g in groups]}}


NOT_FOUND = {"fixedResponse": {"statusCode": 404}}


def listener(lattice, svc, action=NOT_FOUND, name="http-80", port=80, protocol="HTTP"):
    return lattice.create_listener(serviceIdentifier=svc["id"], name=name, protocol=protocol, port=port,
                                   defaultAction=action)


def rule(lattice, svc, lst, priority, action=NOT_FOUND, name=None, path="/a"):
    return lattice.create_rule(
        serviceIdentifier=svc["id"], listenerIdentifier=lst["id"], name=name or f"path-{priority}",
        priority=priority, match={"httpMatch": {"pathMatch": {"match": {"prefix": path}}}}, action=action)


# --- CRUD per resource ---------------------------------------------------------------


def test_service_network_crud(lattice):
    created = network(lattice, authType="NONE", sharingConfig={"enabled": False})
    got = lattice.get_service_network(serviceNetworkIdentifier=created["arn"])
    assert (got["id"], got["name"], got["authType"]) == (created["id"], "net-a", "NONE")
    assert got["createdAt"] <= got["lastUpdatedAt"]
    assert (got["numberOfAssociatedVPCs"], got["numberOfAssociatedServices"]) == (0, 0)

    updated = lattice.update_service_network(serviceNetworkIdentifier=created["id"], authType="AWS_IAM")
    assert updated["authType"] == "AWS_IAM"
    again = lattice.get_service_network(serviceNetworkIdentifier=created["id"])
    assert again["lastUpdatedAt"] > got["lastUpdatedAt"] and again["createdAt"] == got["createdAt"]
    assert [n["id"] for n in lattice.list_service_networks()["items"]] == [created["id"]]

    lattice.delete_service_network(serviceNetworkIdentifier=created["id"])
    error = refused("ResourceNotFoundException", 404, lattice.get_service_network,
                    serviceNetworkIdentifier=created["id"])
    assert (error["resourceId"], error["resourceType"]) == (created["id"], "SERVICE_NETWORK")


def test_service_crud(lattice):
    created = service(lattice, customDomainName="shop.example.com", certificateArn=CERT)
    got = lattice.get_service(serviceIdentifier=created["id"])
    assert (got["status"], got["authType"], got["customDomainName"], got["certificateArn"]) == (
        "ACTIVE", "NONE", "shop.example.com", CERT)
    assert got["dnsEntry"]["domainName"].startswith(f"shop-{created['id'][4:]}.")
    assert got["dnsEntry"]["domainName"].endswith(".vpc-lattice-svcs.us-west-2.on.aws")
    assert got["dnsEntry"]["hostedZoneId"].startswith("Z")

    updated = lattice.update_service(serviceIdentifier=created["arn"], authType="AWS_IAM", certificateArn="")
    assert (updated["authType"], updated["certificateArn"]) == ("AWS_IAM", "")
    summary, = lattice.list_services()["items"]
    assert summary["dnsEntry"] == got["dnsEntry"] and "authType" not in summary  # ServiceSummary has none

    deleted = lattice.delete_service(serviceIdentifier=created["id"])
    assert (deleted["id"], deleted["status"]) == (created["id"], "DELETE_IN_PROGRESS")
    refused("ResourceNotFoundException", 404, lattice.get_service, serviceIdentifier=created["id"])


def test_listener_crud_and_delete_takes_its_rules(lattice, emu):
    svc = service(lattice)
    tg = group(lattice)
    created = listener(lattice, svc, action=forward(tg))
    weighted = [{"targetGroupIdentifier": tg["id"], "weight": 1}]
    assert created["defaultAction"] == {"forward": {"targetGroups": weighted}}
    got = lattice.get_listener(serviceIdentifier=svc["arn"], listenerIdentifier=created["arn"])
    assert (got["serviceId"], got["serviceArn"]) == (svc["id"], svc["arn"])
    assert (got["port"], got["protocol"]) == (80, "HTTP")

    updated = lattice.update_listener(serviceIdentifier=svc["id"], listenerIdentifier=created["id"],
                                      defaultAction=NOT_FOUND)
    assert updated["defaultAction"] == NOT_FOUND
    assert [item["id"] for item in lattice.list_listeners(serviceIdentifier=svc["id"])["items"]] == [created["id"]]

    extra = rule(lattice, svc, created, 1)
    lattice.delete_listener(serviceIdentifier=svc["id"], listenerIdentifier=created["id"])
    assert emu.inventory()["Rule"] == {} and emu.inventory()["Listener"] == {}
    refused("ResourceNotFoundException", 404, lattice.get_rule, serviceIdentifier=svc["id"],
            listenerIdentifier=created["id"], ruleIdentifier=extra["id"])


def test_listener_port_defaults_by_protocol(lattice):
    svc = service(lattice)
    created = lattice.create_listener(serviceIdentifier=svc["id"], name="https", protocol="HTTPS",
                                      defaultAction=NOT_FOUND)
    assert created["port"] == 443


def test_rule_crud_and_the_default_rule(lattice):
    svc = service(lattice)
    tg = group(lattice)
    lst = listener(lattice, svc)
    created = rule(lattice, svc, lst, 5, action=forward(tg), name="to-v1")
    ids = dict(serviceIdentifier=svc["id"], listenerIdentifier=lst["id"])
    got = lattice.get_rule(**ids, ruleIdentifier=created["arn"])
    assert (got["name"], got["priority"], got["isDefault"]) == ("to-v1", 5, False)
    assert got["match"] == {"httpMatch": {"pathMatch": {"match": {"prefix": "/a"}}}}

    updated = lattice.update_rule(**ids, ruleIdentifier=created["id"], priority=7, action=NOT_FOUND)
    assert (updated["priority"], updated["action"]) == (7, NOT_FOUND)

    items = lattice.list_rules(**ids)["items"]
    assert [(item["id"], item["isDefault"]) for item in items][0] == (created["id"], False)
    default = items[-1]
    assert default["isDefault"] is True and len(items) == 2
    assert lattice.get_rule(**ids, ruleIdentifier=default["id"])["action"] == NOT_FOUND
    refused("ValidationException", 400, lattice.delete_rule, **ids, ruleIdentifier=default["id"])
    refused("ValidationException", 400, lattice.update_rule, **ids, ruleIdentifier=default["id"], priority=9)

    lattice.delete_rule(**ids, ruleIdentifier=created["id"])
    assert [item["id"] for item in lattice.list_rules(**ids)["items"]] == [default["id"]]


def test_target_group_crud_with_defaults(lattice):
    created = group(lattice, tags={"team": "shop"})
    config = created["config"]
    assert (config["protocolVersion"], config["ipAddressType"], config["healthCheck"]["enabled"]) == (
        "HTTP1", "IPV4", True)
    assert config["healthCheck"]["healthCheckIntervalSeconds"] == 30

    check = {"enabled": True, "path": "/healthz", "healthCheckIntervalSeconds": 10,
             "matcher": {"httpCode": "200-299"}}
    updated = lattice.update_target_group(targetGroupIdentifier=created["arn"], healthCheck=check)
    assert updated["config"]["healthCheck"]["path"] == "/healthz"
    assert updated["config"]["port"] == 8080
    got = lattice.get_target_group(targetGroupIdentifier=created["id"])
    assert got["config"]["healthCheck"]["healthCheckIntervalSeconds"] == 10 and got["serviceArns"] == []

    group(lattice, name="elsewhere", vpc=OTHER_VPC)
    summaries = lattice.list_target_groups(vpcIdentifier=VPC)["items"]
    assert [(s["id"], s["port"], s["protocol"]) for s in summaries] == [(created["id"], 8080, "HTTP")]

    deleted = lattice.delete_target_group(targetGroupIdentifier=created["id"])
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    refused("ResourceNotFoundException", 404, lattice.get_target_group, targetGroupIdentifier=created["id"])


def test_target_group_config_must_fit_its_type(lattice):
    refused("ValidationException", 400, lattice.create_target_group, name="no-vpc", type="IP",
            config={"protocol": "HTTP", "port": 80})
    refused("ValidationException", 400, lattice.create_target_group, name="lambda-fn", type="LAMBDA",
            config={"port": 80})
    fn = lattice.create_target_group(name="lambda-fn", type="LAMBDA")
    assert fn["config"] == {"lambdaEventStructureVersion": "V1"}


def test_vpc_association_crud(lattice):
    net = network(lattice)
    created = lattice.create_service_network_vpc_association(
        serviceNetworkIdentifier=net["arn"], vpcIdentifier=VPC, securityGroupIds=["sg-0123456789abcdef0"])
    assert (created["status"], created["createdBy"], created["securityGroupIds"]) == (
        "ACTIVE", "123456789012", ["sg-0123456789abcdef0"])
    got = lattice.get_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=created["arn"])
    assert (got["vpcId"], got["serviceNetworkId"], got["serviceNetworkName"]) == (VPC, net["id"], "net-a")
    assert lattice.get_service_network(serviceNetworkIdentifier=net["id"])["numberOfAssociatedVPCs"] == 1

    updated = lattice.update_service_network_vpc_association(
        serviceNetworkVpcAssociationIdentifier=created["id"], securityGroupIds=["sg-01234567", "sg-89abcdef"])
    assert updated["securityGroupIds"] == ["sg-01234567", "sg-89abcdef"]
    # "to remove all security groups, you must first delete the association" (min 1 on update).
    emptied = _raw(lattice, "PATCH", f"/servicenetworkvpcassociations/{created['id']}", {"securityGroupIds": []})
    assert emptied.status_code == 400 and "securityGroupIds" in emptied.json()["message"]
    listed = lattice.list_service_network_vpc_associations(vpcIdentifier=VPC)["items"]
    assert [item["id"] for item in listed] == [created["id"]]

    deleted = lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=created["id"])
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    assert lattice.list_service_network_vpc_associations(serviceNetworkIdentifier=net["id"])["items"] == []


def test_service_association_crud(lattice):
    net = network(lattice)
    svc = service(lattice, customDomainName="shop.example.com")
    created = lattice.create_service_network_service_association(
        serviceIdentifier=svc["arn"], serviceNetworkIdentifier=net["id"])
    assert created["dnsEntry"] == svc["dnsEntry"] and created["customDomainName"] == "shop.example.com"
    got = lattice.get_service_network_service_association(serviceNetworkServiceAssociationIdentifier=created["id"])
    assert (got["serviceId"], got["serviceName"], got["serviceNetworkArn"]) == (svc["id"], "shop", net["arn"])
    listed = lattice.list_service_network_service_associations(serviceIdentifier=svc["id"])["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    lattice.delete_service_network_service_association(serviceNetworkServiceAssociationIdentifier=created["arn"])
    refused("ResourceNotFoundException", 404, lattice.get_service_network_service_association,
            serviceNetworkServiceAssociationIdentifier=created["id"])


def test_association_lists_need_a_filter(lattice):
    refused("ValidationException", 400, lattice.list_service_network_vpc_associations)
    refused("ValidationException", 400, lattice.list_service_network_service_associations)


def test_auth_policy_put_get_delete(lattice):
    net = network(lattice)
    put = lattice.put_auth_policy(resourceIdentifier=net["id"], policy=POLICY)
    assert (put["policy"], put["state"]) == (POLICY, "Inactive")  # authType NONE
    lattice.update_service_network(serviceNetworkIdentifier=net["id"], authType="AWS_IAM")
    assert lattice.get_auth_policy(resourceIdentifier=net["arn"])["state"] == "Active"
    refused("ValidationException", 400, lattice.put_auth_policy, resourceIdentifier=net["id"],
            policy=json.dumps(json.loads(POLICY), indent=2))
    lattice.delete_auth_policy(resourceIdentifier=net["id"])
    refused("ResourceNotFoundException", 404, lattice.get_auth_policy, resourceIdentifier=net["id"])


def test_access_log_subscription_crud(lattice):
    svc = service(lattice)
    bucket = "arn:aws:s3:::access-logs-bucket"
    created = lattice.create_access_log_subscription(resourceIdentifier=svc["id"], destinationArn=bucket)
    assert (created["resourceId"], created["resourceArn"]) == (svc["id"], svc["arn"])
    assert created["destinationArn"] == bucket
    refused("ConflictException", 409, lattice.create_access_log_subscription, resourceIdentifier=svc["id"],
            destinationArn="arn:aws:s3:::another-bucket")
    logs = "arn:aws:logs:us-west-2:123456789012:log-group:/lattice/shop"
    updated = lattice.update_access_log_subscription(accessLogSubscriptionIdentifier=created["arn"],
                                                     destinationArn=logs)
    got = lattice.get_access_log_subscription(accessLogSubscriptionIdentifier=created["id"])
    assert updated["destinationArn"] == got["destinationArn"] == logs
    listed = lattice.list_access_log_subscriptions(resourceIdentifier=svc["arn"])["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    lattice.delete_access_log_subscription(accessLogSubscriptionIdentifier=created["id"])
    assert lattice.list_access_log_subscriptions(resourceIdentifier=svc["id"])["items"] == []


def test_tags_at_create_and_after(lattice):
    svc = service(lattice, tags={"owner": "shop", "env": "dev"})
    assert lattice.list_tags_for_resource(resourceArn=svc["arn"])["tags"] == {"owner": "shop", "env": "dev"}
    lattice.tag_resource(resourceArn=svc["arn"], tags={"env": "prod", "cost": "42"})
    lattice.untag_resource(resourceArn=svc["arn"], tagKeys=["owner", "absent"])
    assert lattice.list_tags_for_resource(resourceArn=svc["arn"])["tags"] == {"env": "prod", "cost": "42"}
    lst = listener(lattice, svc)
    lattice.tag_resource(resourceArn=lst["arn"], tags={"k": "v"})
    assert lattice.list_tags_for_resource(resourceArn=lst["arn"])["tags"] == {"k": "v"}
    missing = svc["arn"][:-17] + "0" * 17
    refused("ResourceNotFoundException", 404, lattice.list_tags_for_resource, resourceArn=missing)


# --- conflicts -------------------------------------------------------------------------


@pytest.mark.parametrize("create", [network, service, group], ids=["service network", "service", "target group"])
def test_names_are_unique_in_the_account(lattice, create):
    first = create(lattice, name="taken")
    error = refused("ConflictException", 409, create, lattice=lattice, name="taken")
    assert error["resourceId"] == first["id"]


def test_rule_priority_and_name_are_unique_on_the_listener(lattice):
    svc = service(lattice)
    lst = listener(lattice, svc)
    first = rule(lattice, svc, lst, 10, name="first")
    second = rule(lattice, svc, lst, 20, name="second")
    error = refused("ConflictException", 409, rule, lattice=lattice, svc=svc, lst=lst, priority=10, name="third")
    assert error["resourceId"] == first["id"]
    refused("ConflictException", 409, rule, lattice=lattice, svc=svc, lst=lst, priority=30, name="first")
    refused("ConflictException", 409, lattice.update_rule, serviceIdentifier=svc["id"],
            listenerIdentifier=lst["id"], ruleIdentifier=second["id"], priority=10)


def test_listener_port_is_unique_on_the_service(lattice):
    svc = service(lattice)
    first = listener(lattice, svc, port=8080, name="one")
    error = refused("ConflictException", 409, listener, lattice=lattice, svc=svc, port=8080, name="two",
                    protocol="HTTPS")
    assert error["resourceId"] == first["id"]


def test_service_network_with_associations_is_not_deleted(lattice):
    net = network(lattice)
    vpc_link = lattice.create_service_network_vpc_association(serviceNetworkIdentifier=net["id"],
                                                              vpcIdentifier=VPC)
    svc_link = lattice.create_service_network_service_association(
        serviceNetworkIdentifier=net["id"], serviceIdentifier=service(lattice)["id"])
    refused("ConflictException", 409, lattice.delete_service_network, serviceNetworkIdentifier=net["id"])
    lattice.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=vpc_link["id"])
    refused("ConflictException", 409, lattice.delete_service_network, serviceNetworkIdentifier=net["id"])
    lattice.delete_service_network_service_association(serviceNetworkServiceAssociationIdentifier=svc_link["id"])
    lattice.delete_service_network(serviceNetworkIdentifier=net["id"])


def test_associated_service_is_not_deleted_and_deletion_cascades(lattice, emu):
    net = network(lattice)
    svc = service(lattice)
    lst = listener(lattice, svc)
    rule(lattice, svc, lst, 1)
    lattice.create_access_log_subscription(resourceIdentifier=svc["id"], destinationArn=LOG_BUCKET)
    lattice.put_auth_policy(resourceIdentifier=svc["id"], policy=POLICY)
    link = lattice.create_service_network_service_association(
        serviceNetworkIdentifier=net["id"], serviceIdentifier=svc["id"])
    refused("ConflictException", 409, lattice.delete_service, serviceIdentifier=svc["id"])
    lattice.delete_service_network_service_association(serviceNetworkServiceAssociationIdentifier=link["id"])
    lattice.delete_service(serviceIdentifier=svc["id"])
    left = emu.inventory()
    assert {kind: len(items) for kind, items in left.items() if items} == {"ServiceNetwork": 1}


def test_target_group_in_use_is_not_deleted(lattice):
    svc = service(lattice)
    by_listener, by_rule = group(lattice, name="by-listener"), group(lattice, name="by-rule")
    lst = listener(lattice, svc, action=forward(by_listener))
    rule(lattice, svc, lst, 1, action=forward(by_rule))
    for tg in (by_listener, by_rule):
        error = refused("ConflictException", 409, lattice.delete_target_group, targetGroupIdentifier=tg["id"])
        assert error["resourceId"] == tg["id"]
    assert lattice.get_target_group(targetGroupIdentifier=by_rule["id"])["serviceArns"] == [svc["arn"]]
    lattice.update_listener(serviceIdentifier=svc["id"], listenerIdentifier=lst["id"], defaultAction=NOT_FOUND)
    lattice.delete_target_group(targetGroupIdentifier=by_listener["id"])


def test_vpc_joins_one_service_network(lattice):
    first, second = network(lattice, "net-a"), network(lattice, "net-b")
    link = lattice.create_service_network_vpc_association(serviceNetworkIdentifier=first["id"], vpcIdentifier=VPC)
    for net in (first, second):
        error = refused("ConflictException", 409, lattice.create_service_network_vpc_association,
                        serviceNetworkIdentifier=net["id"], vpcIdentifier=VPC)
        assert error["resourceId"] == link["id"]
    lattice.create_service_network_vpc_association(serviceNetworkIdentifier=second["id"], vpcIdentifier=OTHER_VPC)


def test_service_joins_a_network_once(lattice):
    net, svc = network(lattice), service(lattice)
    lattice.create_service_network_service_association(serviceNetworkIdentifier=net["id"],
                                                        serviceIdentifier=svc["id"])
    refused("ConflictException", 409, lattice.create_service_network_service_association,
            serviceNetworkIdentifier=net["arn"], serviceIdentifier=svc["arn"])


def test_forward_action_target_group_limits(lattice, emu):
    svc = service(lattice)
    groups = [group(lattice, name=f"group-{n}") for n in range(11)]
    error = refused("ValidationException", 400, listener, lattice=lattice, svc=svc, action=forward(*groups))
    assert "targetGroups" in error["Error"]["Message"]  # the model's max of 10
    emu.quotas.target_groups_per_forward_action = 3
    refused("ServiceQuotaExceededException", 402, listener, lattice=lattice, svc=svc, action=forward(*groups[:4]))
    listener(lattice, svc, action=forward(*groups[:3]))
    refused("ValidationException", 400, listener, lattice=lattice, svc=svc, port=81, name="twice",
            action=forward(groups[0], groups[0]))


def test_tls_passthrough_rules(lattice):
    plain = service(lattice, name="plain")
    tcp = group(lattice, name="tcp", protocol="TCP", port=8443)
    http = group(lattice, name="http")
    refused("ValidationException", 400, listener, lattice=lattice, svc=plain, protocol="TLS_PASSTHROUGH",
            port=443, name="tls", action=forward(tcp))
    named = service(lattice, name="named", customDomainName="named.example.com")
    refused("ValidationException", 400, listener, lattice=lattice, svc=named, protocol="TLS_PASSTHROUGH",
            port=443, name="tls", action=forward(http))
    tls = listener(lattice, named, protocol="TLS_PASSTHROUGH", port=443, name="tls", action=forward(tcp))
    refused("ValidationException", 400, rule, lattice=lattice, svc=named, lst=tls, priority=1, action=forward(tcp))
    refused("ValidationException", 400, listener, lattice=lattice, svc=plain, action=forward(tcp))


UNKNOWN_SERVICE = "svc-0aaaaaaaaaaaaaaaa"
UNKNOWN_SERVICE_ARN = f"arn:aws:vpc-lattice:us-west-2:123456789012:service/{UNKNOWN_SERVICE}"


@pytest.mark.parametrize("call, params", [
    ("get_service", {"serviceIdentifier": UNKNOWN_SERVICE}),
    ("get_service", {"serviceIdentifier": UNKNOWN_SERVICE_ARN}),
    ("get_target_group", {"targetGroupIdentifier": "tg-0aaaaaaaaaaaaaaaa"}),
    ("delete_service_network", {"serviceNetworkIdentifier": "sn-0aaaaaaaaaaaaaaaa"}),
    ("list_listeners", {"serviceIdentifier": "svc-0aaaaaaaaaaaaaaaa"}),
    ("register_targets", {"targetGroupIdentifier": "tg-0aaaaaaaaaaaaaaaa", "targets": [{"id": "10.0.0.1"}]}),
    ("get_access_log_subscription", {"accessLogSubscriptionIdentifier": "als-0aaaaaaaaaaaaaaaa"}),
    ("put_auth_policy", {"resourceIdentifier": "svc-0aaaaaaaaaaaaaaaa", "policy": POLICY}),
])
def test_unknown_identifiers_are_not_found(lattice, call, params):
    refused("ResourceNotFoundException", 404, getattr(lattice, call), **params)


def test_the_real_service_arn_is_found_but_another_account_s_is_not(lattice):
    svc = service(lattice)
    assert lattice.get_service(serviceIdentifier=svc["arn"])["id"] == svc["id"]
    refused("ResourceNotFoundException", 404, lattice.get_service,
            serviceIdentifier=svc["arn"].replace("123456789012", "210987654321"))


def test_rule_must_sit_under_the_listener_and_service_named(lattice):
    one, two = service(lattice, name="one"), service(lattice, name="two")
    lst = listener(lattice, one)
    refused("ResourceNotFoundException", 404, lattice.get_listener, serviceIdentifier=two["id"],
            listenerIdentifier=lst["id"])


# --- contract and identity -------------------------------------------------------------


@pytest.mark.parametrize("name", ["shop--v2", "s" * 41])
def test_contract_violation_is_a_validation_exception(lattice, emu, name):
    error = refused("ValidationException", 400, lattice.create_service, name=name)
    assert error["reason"] == "fieldValidationFailed"
    assert [field["name"] for field in error["fieldList"]] == ["name"]
    assert emu.calls[-1][0] == "CreateService" and emu.calls[-1][1]["name"] == name
    assert emu.inventory()["Service"] == {}


def test_update_cannot_touch_immutable_members(lattice):
    svc = service(lattice, customDomainName="shop.example.com")
    # botocore itself refuses unknown parameters client-side, so send the raw body.
    with pytest.raises(ParamValidationError):
        lattice.update_service(serviceIdentifier=svc["id"], name="renamed")
    error = _raw(lattice, "PATCH", f"/services/{svc['id']}", {"customDomainName": "other.example.com"})
    assert error.status_code == 400 and error.headers["x-amzn-ErrorType"] == "ValidationException"
    assert "customDomainName" in error.json()["message"]
    assert lattice.get_service(serviceIdentifier=svc["id"])["customDomainName"] == "shop.example.com"


def _raw(lattice, method, path, document):
    import urllib.error
    import urllib.request

    class Answer:
        def __init__(self, status_code, headers, payload):
            self.status_code, self.headers, self._payload = status_code, headers, payload

        def json(self):
            return json.loads(self._payload)

    request = urllib.request.Request(lattice.meta.endpoint_url + path, data=json.dumps(document).encode(),
                                     method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as failure:
        return Answer(failure.code, failure.headers, failure.read())


def _pattern(operation, member):
    shape = MODEL.operation_model(operation).input_shape.members[member]
    return python_pattern(shape.metadata["pattern"])


def _output_pattern(operation, member):
    return python_pattern(MODEL.operation_model(operation).output_shape.members[member].metadata["pattern"])


def test_ids_and_arns_match_the_model(lattice):
    net = network(lattice)
    svc = service(lattice)
    tg = group(lattice)
    lst = listener(lattice, svc, action=forward(tg))
    rl = rule(lattice, svc, lst, 1)
    snva = lattice.create_service_network_vpc_association(serviceNetworkIdentifier=net["id"], vpcIdentifier=VPC)
    snsa = lattice.create_service_network_service_association(serviceNetworkIdentifier=net["id"],
                                                              serviceIdentifier=svc["id"])
    als = lattice.create_access_log_subscription(resourceIdentifier=net["id"], destinationArn=LOG_BUCKET)
    cases = [
        ("GetServiceNetwork", "serviceNetworkIdentifier", net, "sn-"),
        ("GetService", "serviceIdentifier", svc, "svc-"),
        ("GetTargetGroup", "targetGroupIdentifier", tg, "tg-"),
        ("GetListener", "listenerIdentifier", lst, "listener-"),
        ("GetRule", "ruleIdentifier", rl, "rule-"),
        ("GetServiceNetworkVpcAssociation", "serviceNetworkVpcAssociationIdentifier", snva, "snva-"),
        ("GetServiceNetworkServiceAssociation", "serviceNetworkServiceAssociationIdentifier", snsa, "snsa-"),
        ("GetAccessLogSubscription", "accessLogSubscriptionIdentifier", als, "als-"),
    ]
    for operation, member, created, prefix in cases:
        identifier = _pattern(operation, member)
        assert identifier.fullmatch(created["id"]) and identifier.fullmatch(created["arn"]), operation
        assert _output_pattern(operation, "arn").fullmatch(created["arn"]), operation
        assert created["id"].startswith(prefix) and len(created["id"]) == len(prefix) + 17
        assert created["arn"].startswith("arn:aws:vpc-lattice:us-west-2:123456789012:")
    assert lst["arn"] == f"{svc['arn']}/listener/{lst['id']}"
    assert rl["arn"] == f"{lst['arn']}/rule/{rl['id']}"


def test_account_and_region_are_configurable():
    with LatticeEmulator(account_id="210987654321", region="eu-central-1") as other:
        svc = other.client().create_service(name="shop")
    assert svc["arn"].startswith("arn:aws:vpc-lattice:eu-central-1:210987654321:service/svc-")
    assert ".vpc-lattice-svcs.eu-central-1.on.aws" in svc["dnsEntry"]["domainName"]


def test_client_token_makes_a_create_idempotent(lattice):
    first = lattice.create_service(name="shop", clientToken="token-1")
    again = lattice.create_service(name="shop", clientToken="token-1")
    assert again["id"] == first["id"] and len(lattice.list_services()["items"]) == 1
    refused("ConflictException", 409, lattice.create_service, name="other", clientToken="token-1")


# --- targets ---------------------------------------------------------------------------


def _targets(lattice, tg):
    items = lattice.list_targets(targetGroupIdentifier=tg["id"])["items"]
    return {(t["id"], t["port"]): t["status"] for t in items}


def test_deregistered_target_drains_until_finished(lattice, emu):
    svc, tg = service(lattice), group(lattice)
    listener(lattice, svc, action=forward(tg))
    registered = lattice.register_targets(targetGroupIdentifier=tg["id"],
                                          targets=[{"id": "10.0.0.1"}, {"id": "10.0.0.2", "port": 9090}])
    assert registered["successful"] == [{"id": "10.0.0.1", "port": 8080}, {"id": "10.0.0.2", "port": 9090}]
    assert _targets(lattice, tg) == {("10.0.0.1", 8080): "HEALTHY", ("10.0.0.2", 9090): "HEALTHY"}

    lattice.deregister_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.2", "port": 9090}])
    assert _targets(lattice, tg)[("10.0.0.2", 9090)] == "DRAINING"
    assert emu.finish_draining() == 1
    assert _targets(lattice, tg) == {("10.0.0.1", 8080): "HEALTHY"}

    missing = lattice.deregister_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.9.9.9"}])
    assert [entry["id"] for entry in missing["unsuccessful"]] == ["10.9.9.9"] and missing["successful"] == []


def test_target_status_follows_the_group(lattice, emu):
    tg = group(lattice)
    lattice.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.1"}])
    assert _targets(lattice, tg) == {("10.0.0.1", 8080): "UNUSED"}
    svc = service(lattice)
    listener(lattice, svc, action=forward(tg))
    lattice.update_target_group(targetGroupIdentifier=tg["id"], healthCheck={"enabled": False})
    assert _targets(lattice, tg) == {("10.0.0.1", 8080): "UNAVAILABLE"}
    emu.set_target_status(tg["id"], "10.0.0.1", "UNHEALTHY")
    assert _targets(lattice, tg) == {("10.0.0.1", 8080): "UNHEALTHY"}


def test_register_targets_batch_limit_and_bad_targets(lattice):
    tg = group(lattice)
    too_many = [{"id": f"10.0.{n // 250}.{n % 250}"} for n in range(101)]
    refused("ValidationException", 400, lattice.register_targets, targetGroupIdentifier=tg["id"], targets=too_many)
    result = lattice.register_targets(targetGroupIdentifier=tg["id"],
                                      targets=[{"id": "10.0.0.1"}, {"id": "fe80::1"}])
    assert [entry["id"] for entry in result["unsuccessful"]] == ["fe80::1"]  # an IPV4 group
    assert _targets(lattice, tg) == {("10.0.0.1", 8080): "UNUSED"}


# --- quotas ----------------------------------------------------------------------------


def test_listeners_per_service_quota(lattice):
    svc = service(lattice)
    listener(lattice, svc, port=80, name="one")
    listener(lattice, svc, port=81, name="two")
    error = refused("ServiceQuotaExceededException", 402, listener, lattice=lattice, svc=svc, port=82,
                    name="three")
    assert (error["serviceCode"], error["quotaCode"]) == ("vpc-lattice", "listeners_per_service")


def test_rules_per_listener_quota_is_adjustable(lattice, emu):
    emu.quotas.rules_per_listener = 2
    svc = service(lattice)
    lst = listener(lattice, svc)
    rule(lattice, svc, lst, 1)
    rule(lattice, svc, lst, 2)
    refused("ServiceQuotaExceededException", 402, rule, lattice=lattice, svc=svc, lst=lst, priority=3)


def test_association_quotas(lattice, emu):
    emu.quotas.service_associations_per_service_network = 1
    emu.quotas.vpc_associations_per_service_network = 1
    net = network(lattice)
    lattice.create_service_network_service_association(serviceNetworkIdentifier=net["id"],
                                                        serviceIdentifier=service(lattice, name="one")["id"])
    refused("ServiceQuotaExceededException", 402, lattice.create_service_network_service_association,
            serviceNetworkIdentifier=net["id"], serviceIdentifier=service(lattice, name="two")["id"])
    lattice.create_service_network_vpc_association(serviceNetworkIdentifier=net["id"], vpcIdentifier=VPC)
    refused("ServiceQuotaExceededException", 402, lattice.create_service_network_vpc_association,
            serviceNetworkIdentifier=net["id"], vpcIdentifier=OTHER_VPC)


# --- replacement members ---------------------------------------------------------------


def _members(operation):
    return set(MODEL.operation_model(operation).input_shape.members)


def test_replacement_members_come_from_the_model():
    target_group = replacement_members("TargetGroup")
    assert {"name", "type", "config.port", "config.protocol", "config.protocolVersion",
            "config.vpcIdentifier"} <= target_group
    assert not {"config", "config.healthCheck", "tags", "clientToken"} & target_group

    svc = replacement_members("Service")
    assert svc == (_members("CreateService") - _members("UpdateService") - {"clientToken", "tags"})
    assert "name" in svc and "authType" not in svc and "certificateArn" not in svc
    assert replacement_members("Listener") == {"name", "protocol", "port", "serviceIdentifier"}
    association = replacement_members("ServiceNetworkServiceAssociation")  # no Update operation
    assert association == {"serviceIdentifier", "serviceNetworkIdentifier"}
    assert "securityGroupIds" not in replacement_members("ServiceNetworkVpcAssociation")
    with pytest.raises(ValueError):
        replacement_members("AuthPolicy")  # Put, not Create/Update


# --- pagination, calls, unimplemented, inventory, process ------------------------------


def test_pagination(lattice):
    made = [service(lattice, name=f"shop-{n}")["id"] for n in range(5)]
    first = lattice.list_services(maxResults=2)
    second = lattice.list_services(maxResults=2, nextToken=first["nextToken"])
    third = lattice.list_services(maxResults=2, nextToken=second["nextToken"])
    assert [[s["id"] for s in page["items"]] for page in (first, second, third)] == [made[:2], made[2:4], made[4:]]
    assert "nextToken" not in third
    pages = lattice.get_paginator("list_services").paginate(PaginationConfig={"PageSize": 3})
    assert [s["id"] for page in pages for s in page["items"]] == made
    refused("ValidationException", 400, lattice.list_target_groups, nextToken=first["nextToken"])
    refused("ValidationException", 400, lattice.list_services, nextToken="not-a-token")


def test_calls_are_recorded(lattice, emu):
    svc = service(lattice)
    lattice.get_service(serviceIdentifier=svc["id"])
    lattice.list_services()
    assert [operation for operation, _ in emu.calls] == ["CreateService", "GetService", "ListServices"]
    assert [operation for operation, _ in emu.mutating_calls] == ["CreateService"]
    assert emu.calls[1][1] == {"serviceIdentifier": svc["id"]}


def test_an_unimplemented_operation_is_named(lattice):
    error = refused("NotImplemented", 501, lattice.create_resource_gateway, name="gateway",
                    vpcIdentifier=VPC, subnetIds=["subnet-0123456789abcdef0"])
    assert "CreateResourceGateway" in error["Error"]["Message"]


def test_inventory_is_plain_data(lattice, emu):
    net = network(lattice, tags={"team": "net"})
    svc, tg = service(lattice), group(lattice)
    lst = listener(lattice, svc, action=forward(tg))
    rl = rule(lattice, svc, lst, 1)
    lattice.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.1"}])
    lattice.put_auth_policy(resourceIdentifier=svc["id"], policy=POLICY)
    inventory = emu.inventory()
    assert inventory["ServiceNetwork"][net["id"]]["tags"] == {"team": "net"}
    assert list(inventory["Rule"]) == [rl["id"]]  # the default rule is the listener's defaultAction
    assert inventory["Listener"][lst["id"]]["defaultAction"] == lst["defaultAction"]
    assert inventory["TargetGroup"][tg["id"]]["targets"] == [{"id": "10.0.0.1", "port": 8080, "status": "HEALTHY"}]
    assert inventory["AuthPolicy"][svc["id"]]["policy"] == POLICY
    inventory["Service"].clear()
    assert emu.inventory()["Service"]  # a copy


def test_endpoint_environment_variable(emu, monkeypatch):
    for name, value in emu.environ().items():
        monkeypatch.setenv(name, value)
    client = boto3.client("vpc-lattice")
    assert client.meta.endpoint_url == emu.url and os.environ[ENDPOINT_ENV] == emu.url
    assert client.list_service_networks()["items"] == []


def test_runs_as_a_separate_process():
    process = subprocess.Popen([sys.executable, "-m", "tests.support.lattice_emulator", "--port", "0"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        client = boto3.client("vpc-lattice", endpoint_url=url, region_name="us-west-2",
                              aws_access_key_id="x", aws_secret_access_key="x")
        assert client.create_service_network(name="from-afar")["id"].startswith("sn-")
    finally:
        process.terminate()
        process.wait(timeout=10)

"""ACM certificates for HTTPS custom domains, found when the stack is applied (row 24)."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pulumi
from botocore.stub import Stubber

from lattice_program.program import stack
from lattice_program.program.certificates import best_certificate, discover, needs_certificate
from tests.support.plans import plan_yaml, problems_for, the_route
from tests.support.world import gateway, gateway_class, http_route, service, world

EXACT = "arn:aws:acm:us-west-2:111122223333:certificate/11111111-1111-1111-1111-111111111111"
WILDCARD = "arn:aws:acm:us-west-2:111122223333:certificate/22222222-2222-2222-2222-222222222222"
NEWER_EXACT = "arn:aws:acm:us-west-2:111122223333:certificate/33333333-3333-3333-3333-333333333333"
HTTPS = {"name": "https", "port": 443, "protocol": "HTTPS", "tls": {"mode": "Terminate"}}


def cart_world(listener=HTTPS) -> str:
    return world(gateway_class(), gateway("edge", "shop", listeners=[listener]),
                 http_route("cart", "shop", parents=["edge"], hostnames=["cart.shop.example.com"],
                            backends=[("cart", 80)]),
                 service("cart", "shop"))


WORLD = cart_world()


def at(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=timezone.utc)


def summary(arn: str, domain: str, issued: datetime, sans=()):
    # ACM lists the domain name among the alternative names too.
    return {"CertificateArn": arn, "DomainName": domain, "SubjectAlternativeNameSummaries": [domain, *sans],
            "Status": "ISSUED", "IssuedAt": issued}


def acm_client():
    return boto3.client("acm", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def test_exact_name_beats_wildcard_and_newest_wins():
    certificates = [summary(WILDCARD, "*.shop.example.com", at(20)), summary(EXACT, "cart.shop.example.com", at(1)),
                    summary(NEWER_EXACT, "other.example.com", at(9), sans=["cart.shop.example.com"])]
    assert best_certificate("cart.shop.example.com", certificates) == NEWER_EXACT
    assert best_certificate("cart.shop.example.com", certificates[:1]) == WILDCARD
    assert best_certificate("a.cart.shop.example.com", certificates[:1]) is None  # one label only
    assert best_certificate("cart.shop.example.net", certificates) is None


def test_plan_says_the_certificate_is_looked_up_at_apply():
    result = plan_yaml(WORLD)
    assert needs_certificate(the_route(result))
    warnings = problems_for(result, "HTTPRoute", "shop", "cart", severity="warning")
    assert any("looked up when the stack is applied" in p.message for p in warnings)


def test_discover_fills_the_certificate_from_issued_ones():
    model = plan_yaml(WORLD).model
    acm = acm_client()
    with Stubber(acm) as stub:
        stub.add_response("list_certificates", {"CertificateSummaryList": [summary(EXACT, "cart.shop.example.com", at(3))]},
                          {"CertificateStatuses": ["ISSUED"]})
        found, warnings = discover(model, acm)
        stub.assert_no_pending_responses()
    assert warnings == []
    [route] = found.routes()
    assert route.service.certificate_arn == EXACT
    assert not needs_certificate(route)


def test_discover_warns_naming_the_route_when_nothing_covers_the_domain():
    model = plan_yaml(WORLD).model
    acm = acm_client()
    with Stubber(acm) as stub:
        stub.add_response("list_certificates", {"CertificateSummaryList": []}, {"CertificateStatuses": ["ISSUED"]})
        found, warnings = discover(model, acm)
    assert found.routes()[0].service.certificate_arn is None
    assert len(warnings) == 1 and "HTTPRoute/shop/cart" in warnings[0] and "cart.shop.example.com" in warnings[0]


def test_a_named_certificate_needs_no_lookup():
    named = cart_world({**HTTPS, "tls": {"mode": "Terminate",
                                         "options": {"application-networking.k8s.aws/certificate-arn": EXACT}}})
    model = plan_yaml(named).model
    assert not needs_certificate(model.routes()[0])
    assert discover(model, object()) == (model, [])


def test_pulumi_up_sends_the_discovered_certificate(runtime, monkeypatch, tmp_path):
    (tmp_path / "world.yaml").write_text(WORLD)
    pulumi.runtime.set_all_config({"lattice-gateway:vpcId": "vpc-0a1b2c3d4e5f60789",
                                   "lattice-gateway:sources": '["world.yaml"]'})
    acm = acm_client()
    monkeypatch.setattr(stack, "_aws_client", lambda service: acm)
    try:
        with Stubber(acm) as stub:
            stub.add_response("list_certificates",
                              {"CertificateSummaryList": [summary(WILDCARD, "*.shop.example.com", at(2))]},
                              {"CertificateStatuses": ["ISSUED"]})
            stack.run(tmp_path)
        [service] = runtime.settle().of_type("aws:vpclattice/service:Service").values()
        assert service.inputs["certificateArn"] == WILDCARD
        assert service.inputs["customDomainName"] == "cart.shop.example.com"
    finally:
        pulumi.runtime.set_all_config({})


def test_pulumi_up_warns_when_no_certificate_covers_the_domain(runtime, monkeypatch, tmp_path):
    (tmp_path / "world.yaml").write_text(WORLD)
    pulumi.runtime.set_all_config({"lattice-gateway:vpcId": "vpc-0a1b2c3d4e5f60789",
                                   "lattice-gateway:sources": '["world.yaml"]'})
    acm = acm_client()
    warned = []
    monkeypatch.setattr(stack, "_aws_client", lambda service: acm)
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))
    try:
        with Stubber(acm) as stub:
            stub.add_response("list_certificates", {"CertificateSummaryList": []}, {"CertificateStatuses": ["ISSUED"]})
            stack.run(tmp_path)
        [service] = runtime.settle().of_type("aws:vpclattice/service:Service").values()
        assert service.inputs.get("certificateArn") is None
        assert [w for w in warned if "cart.shop.example.com" in w and "HTTPRoute/shop/cart" in w], warned
    finally:
        pulumi.runtime.set_all_config({})

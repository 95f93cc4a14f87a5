"""ExternalDNS: a DNSEndpoint per custom domain in the route's cluster (behaviour row 37)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli.main import app
from lattice_program.program.mock_plan import record_plan
from lattice_program.program.declare import declare
from lattice_program.vocabulary.settings import ClusterSettings
from tests.support.plans import VPC, plan_clusters, plan_yaml, the_route
from tests.support.world import gateway, gateway_class, http_route, service, world

DNS_ENDPOINT = "kubernetes:externaldns.k8s.io/v1alpha1:DNSEndpoint"


def cart_world(hostnames=("cart.shop.example.com",)) -> str:
    return world(gateway_class(), gateway("edge", "shop"), service("cart", "shop"),
                 http_route("cart", "shop", parents=["edge"], hostnames=hostnames, backends=[("cart", 80)]))


WORLD = cart_world()


def test_row37_off_by_default():
    assert the_route(plan_yaml(WORLD)).dns_endpoint is None


def test_row37_custom_domain_gets_a_dns_endpoint_named_like_the_controller():
    endpoint = the_route(plan_yaml(WORLD, external_dns=True)).dns_endpoint
    assert (endpoint.namespace, endpoint.name, endpoint.hostname, endpoint.ttl) == (
        "shop", "cart-dns", "cart.shop.example.com", 300)


def test_row37_a_route_without_custom_domain_gets_none():
    text = cart_world(hostnames=())
    assert the_route(plan_yaml(text, external_dns=True)).dns_endpoint is None


def test_dns_endpoint_points_at_the_service_dns_name(runtime):
    model = plan_yaml(WORLD, external_dns=True).model
    declare(model)
    mocks = runtime.settle()
    [endpoint] = mocks.of_type(DNS_ENDPOINT).values()
    [service] = mocks.of_type("aws:vpclattice/service:Service").values()
    assert endpoint.inputs["metadata"] == {"name": "cart-dns", "namespace": "shop",
                                           "labels": {"app.kubernetes.io/managed-by": "lattice-gateway"}}
    assert endpoint.inputs["spec"] == {"endpoints": [{
        "dnsName": "cart.shop.example.com", "recordType": "CNAME", "recordTTL": 300,
        "targets": [f"{service.inputs['name']}.lattice.example"]}]}


def test_each_cluster_with_a_context_gets_its_own_kubernetes_provider():
    result = plan_clusters({"east": WORLD}, [ClusterSettings(name="east", vpc_id=VPC, context="prod-east")],
                           external_dns=True)
    assert result.model.kubernetes_contexts == {"east": "prod-east"}
    plan = record_plan(result.model)
    [provider] = [r for r in plan if r.type == "pulumi:providers:kubernetes"]
    assert provider.name == "kubernetes/east" and provider.inputs["context"] == "prod-east"
    assert [r.type for r in plan].count(DNS_ENDPOINT) == 1


def test_plan_shows_the_dns_endpoint(tmp_path):
    (tmp_path / "world.yaml").write_text(WORLD)
    stack = tmp_path / "stacks"
    stack.mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: t\nruntime: python\nstackConfigDir: stacks\n")
    (stack / "Pulumi.dns.yaml").write_text(f"config:\n  lattice-gateway:vpcId: {VPC}\n  lattice-gateway:externalDns: true\n")
    result = CliRunner().invoke(app, ["plan", str(tmp_path / "world.yaml"), "--stack", "dns", "--project-dir",
                                      str(tmp_path), "--output", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [r["type"] for r in document["resources"]].count(DNS_ENDPOINT) == 1
    tree = CliRunner().invoke(app, ["plan", str(tmp_path / "world.yaml"), "--stack", "dns", "--project-dir", str(tmp_path)])
    assert "DNSEndpoint cart.shop.example.com CNAME" in tree.stdout

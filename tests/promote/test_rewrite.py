"""The rewrite of a release into another environment, value by value: clusters mapped or
refused, VPCs, certificates, service networks and domains through the receiving stack's
maps, and what is left in another region refused by object and field."""

from __future__ import annotations

import pytest

from lattice_program.promote.rewrite import RewriteError, rewrite_release
from lattice_program.vocabulary.settings import settings_from_config

DEV_VPC, OTHER_DEV_VPC, STAGING_VPC = "vpc-0a1b2c3d4e5f60789", "vpc-0b1b2c3d4e5f60789", "vpc-05a6b7c8d9e0f1234"
DEV_CERT = "arn:aws:acm:us-west-2:111122223333:certificate/dev-cert"
STAGING_CERT = "arn:aws:acm:us-east-1:444455556666:certificate/staging-cert"
DEV_NETWORK = "sn-0123456789abcdef0"
STAGING_NETWORK = "arn:aws:vpc-lattice:us-east-1:444455556666:servicenetwork/sn-0fedcba9876543210"

DEV = settings_from_config({"clusters": [{"name": "east", "vpcId": DEV_VPC}, {"name": "west", "vpcId": OTHER_DEV_VPC}]})


def staging(rewrite=None, clusters=("staging-eks",)):
    return settings_from_config({"clusters": [{"name": name, "vpcId": STAGING_VPC} for name in clusters],
                                 "promotion": {"rewrite": rewrite or {}}})


def policy(name: str, **spec):
    return {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "VpcAssociationPolicy",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


def move(objects, target, source=DEV):
    return rewrite_release(objects, source, target, source_stack="dev", target_stack="staging",
                           target_region="us-east-1")


def test_each_map_rewrites_its_values_and_reports_each_change():
    target = staging({"clusters": {"east": "staging-eks"},
                      "vpcs": {DEV_VPC: STAGING_VPC},
                      "certificates": {DEV_CERT: STAGING_CERT},
                      "serviceNetworks": {DEV_NETWORK: STAGING_NETWORK},
                      "domains": {"dev.example.com": "staging.example.com"}})
    body = policy("all", vpcId=DEV_VPC, certificateArn=DEV_CERT, network=DEV_NETWORK,
                  hostnames=["shop.dev.example.com", "dev.example.com", "shop.devexample.com"])
    moved = move({"east": [body]}, target)
    assert list(moved.objects) == ["staging-eks"]
    spec = moved.objects["staging-eks"][0]["spec"]
    assert spec == {"vpcId": STAGING_VPC, "certificateArn": STAGING_CERT, "network": STAGING_NETWORK,
                    "hostnames": ["shop.staging.example.com", "staging.example.com", "shop.devexample.com"]}
    assert f"VpcAssociationPolicy shop/all spec.vpcId: {DEV_VPC} -> {STAGING_VPC}" in moved.changes
    assert "VpcAssociationPolicy shop/all spec.hostnames[1]: dev.example.com -> staging.example.com" in moved.changes
    assert len(moved.changes) == 5  # the look-alike domain is not under dev.example.com
    assert body["spec"]["vpcId"] == DEV_VPC  # the release itself is untouched


def test_a_service_network_map_entry_that_is_no_network_id_is_not_applied():
    target = staging({"clusters": {"east": "staging-eks"}, "serviceNetworks": {"storefront": "sn-0fedcba9876543210"}})
    moved = move({"east": [policy("named", network="storefront")]}, target)
    assert moved.objects["staging-eks"][0]["spec"]["network"] == "storefront" and moved.changes == []


def test_clusters_of_the_same_name_map_to_themselves():
    target = staging(clusters=("east", "west"))
    moved = move({"east": [policy("a")], "west": [policy("b")]}, target)
    assert {cluster: [b["metadata"]["name"] for b in bodies] for cluster, bodies in moved.objects.items()} == {
        "east": ["a"], "west": ["b"]}


def test_a_cluster_the_receiving_stack_does_not_map_is_refused_naming_it():
    with pytest.raises(RewriteError) as refused:
        move({"east": [policy("a")], "west": [policy("b")]}, staging({"clusters": {"east": "staging-eks"}}))
    message = str(refused.value)
    assert "stack staging: lattice-gateway:promotion.rewrite.clusters maps no cluster of staging (staging-eks)" in message
    assert "to cluster(s) west of dev" in message


@pytest.mark.parametrize("value, where", [
    ("arn:aws:acm:us-west-2:111122223333:certificate/left", "lattice-gateway:promotion.rewrite.certificates"),
    ("arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-0123456789abcdef0",
     "lattice-gateway:promotion.rewrite.serviceNetworks"),
    ("arn:aws:lambda:us-west-2:111122223333:function:checkout", "the release (it names another region)"),
])
def test_an_arn_left_in_the_sending_region_is_refused_by_object_and_field(value, where):
    with pytest.raises(RewriteError) as refused:
        move({"east": [policy("left", target=value)]}, staging({"clusters": {"east": "staging-eks"}}))
    assert f"VpcAssociationPolicy shop/left spec.target: {value} is in region us-west-2, not us-east-1: " \
           f"map it in {where}" in str(refused.value)


def test_identities_and_values_that_are_not_text_are_never_rewritten():
    target = staging({"clusters": {"east": "staging-eks"}, "domains": {"dev.example.com": "staging.example.com"}})
    body = {"kind": "Service", "metadata": {"name": "api.dev.example.com", "namespace": "shop"},
            "spec": {"ports": [{"port": 80}], "externalName": "api.dev.example.com"}}
    moved = move({"east": [body, ["not", "an", "object"]]}, target)
    service, odd = moved.objects["staging-eks"]
    assert service["metadata"]["name"] == "api.dev.example.com" and service["spec"]["ports"] == [{"port": 80}]
    assert service["spec"]["externalName"] == "api.staging.example.com" and odd == ["not", "an", "object"]


def test_a_sending_vpc_inside_an_object_that_is_not_a_mapping_is_refused_as_object():
    with pytest.raises(RewriteError, match=f"object \\[0\\]: {DEV_VPC} is a VPC of the sending stack"):
        move({"east": [[DEV_VPC]]}, staging({"clusters": {"east": "staging-eks"}}))

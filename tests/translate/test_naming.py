"""naming.py: names cut to fit keep an exact length, a valid end and a hash of the whole."""

from __future__ import annotations

import re

import botocore.session
import pytest

from lattice_program.translate import naming
from lattice_program.translate.naming import (HASH_LENGTH, KUBERNETES_NAME_MAX, SERVICE_NAME_MAX, TAG_VALUE_MAX,
                                              TARGET_GROUP_NAME_MAX, kubernetes_name, short_hash, tag_value)

# Kubernetes' DNS-1123 subdomain (what a DNSEndpoint's or any object's name must be).
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
CUT = KUBERNETES_NAME_MAX - HASH_LENGTH - 1  # where a long name is cut, before "-<hash>"


def test_a_name_that_fits_is_kept_as_it_is():
    text = "a" * KUBERNETES_NAME_MAX
    assert kubernetes_name(text) == text


def test_a_long_name_is_cut_to_exactly_the_limit_and_ends_in_the_hash_of_the_whole():
    text = "a" * (KUBERNETES_NAME_MAX + 1)
    name = kubernetes_name(text)
    assert len(name) == KUBERNETES_NAME_MAX
    assert name == "a" * CUT + "-" + short_hash(text)
    assert kubernetes_name("a" * KUBERNETES_NAME_MAX + "b") != name  # the hash is of the whole text


@pytest.mark.parametrize("cut_end", [".", "-", ".-", "-.", "-.-"])
def test_a_cut_never_leaves_a_dot_or_hyphen_before_the_hash(cut_end):
    readable = "a" * (CUT - len(cut_end))
    text = readable + cut_end + "b" * 40
    name = kubernetes_name(text)
    assert name == readable + "-" + short_hash(text)
    assert DNS_SUBDOMAIN.fullmatch(name), name
    assert not name.endswith(("-", "."))


def test_tag_values_are_cut_to_their_own_limit_and_keep_their_punctuation():
    text = "x" * (TAG_VALUE_MAX - HASH_LENGTH - 2) + "/" + "y" * 40
    value = tag_value(text)
    assert len(value) == TAG_VALUE_MAX and value.endswith("/-" + short_hash(text))
    assert tag_value("short/value") == "short/value"


def test_hashed_names_of_long_identities_are_exactly_the_limit():
    name = naming.service_name("HTTPRoute", "n" * 63, "r" * 200)
    assert len(name) == SERVICE_NAME_MAX
    assert name.endswith("-" + short_hash(f"HTTPRoute/{'n' * 63}/{'r' * 200}"))
    group = naming.target_group_name("HTTPRoute/ns/route", "ns", "s" * 200, 8080, "HTTP1")
    assert len(group) == TARGET_GROUP_NAME_MAX


def test_a_hashed_name_cut_at_a_hyphen_does_not_double_it():
    # "r" * 32 then "-n...": the cut lands on that hyphen, which must not meet the hash's.
    name = naming.service_name("HTTPRoute", "nnnnnnnnnn", "r" * (SERVICE_NAME_MAX - HASH_LENGTH - 2))
    assert "--" not in name and name.count("-") == 1
    assert len(name) == SERVICE_NAME_MAX - 1


def test_a_short_hashed_name_is_readable_part_and_hash():
    assert naming.service_name("HTTPRoute", "shop", "cart") == "cart-shop-" + short_hash("HTTPRoute/shop/cart")
    assert naming.rule_name("rule-one") == "k8s-rule-one-" + short_hash("rule-one")
    assert naming.listener_name("HTTPS", 443) == "https-443"


@pytest.mark.parametrize(("text", "identifier"), [
    ("sn-0123456789abcdef0", True),
    ("arn:aws:vpc-lattice:us-west-2:123456789012:servicenetwork/sn-0123456789abcdef0", True),
    ("sn-0123456789abcdef", False),        # 16 characters after sn-
    ("sn-0123456789abcdef01", False),
    ("my-network", False),
    ("xsn-0123456789abcdef0", False),
])
def test_service_network_identifiers_are_told_from_names(text, identifier):
    assert naming.is_identifier(text) is identifier


def test_names_are_stable_across_releases():
    """A physical name is state: if the same route gave another name after an upgrade,
    every service, target group and rule would be replaced.  These are the names the
    identities have always given (each hash is of the identity's exact text)."""
    assert naming.service_name("HTTPRoute", "shop", "checkout") == "checkout-shop-12e81a"
    assert naming.service_name("HTTPRoute", "shop", "checkout", "pay.example.com") == "checkout-shop-cdd267"
    assert naming.target_group_name("HTTPRoute/shop/checkout", "shop", "checkout-v1", 8080,
                                    "HTTP/HTTP1/IPV4/vpc-0123456789abcdef0") == "checkout-v1-shop-8080-f6b6ef"
    assert naming.rule_name("m-e292f10125") == "m-e292f10125-217d33"


def test_the_kubernetes_limit_is_the_dns_subdomain_limit_of_253():
    """Kubernetes object names are DNS subdomains: at most 253 characters (RFC 1123)."""
    assert KUBERNETES_NAME_MAX == 253
    assert len(kubernetes_name("a" * 300)) == 253 and kubernetes_name("a" * 253) == "a" * 253


def test_sanitize_folds_every_other_character_and_runs_of_hyphens_into_one():
    assert naming.sanitize("Web__API..v2") == "web-api-v2"
    assert naming.sanitize("a--b---c") == "a-b-c"
    assert naming.sanitize("-edge-") == "edge"


def test_a_name_with_nothing_readable_is_still_a_valid_name():
    assert naming.hashed_name("..", "__", identity="odd", max_length=40) == "x-" + short_hash("odd")


def test_a_readable_part_equal_to_a_reserved_prefix_is_moved_off_it():
    """'svc' alone would make 'svc-<hash>', which the API reads as a service ID."""
    assert naming.service_name("HTTPRoute", "", "svc").startswith("k8s-svc-")
    assert naming.service_name("HTTPRoute", "", "svcx").startswith("svcx-")


def test_a_tag_value_cut_keeps_its_capital_letters():
    text = "X" * 300
    assert tag_value(text) == "X" * (TAG_VALUE_MAX - HASH_LENGTH - 1) + "-" + short_hash(text)


def _lattice_input(operation: str, member: str):
    model = botocore.session.get_session().get_service_model("vpc-lattice")
    return model.operation_model(operation).input_shape.members[member]


@pytest.mark.parametrize(("operation", "limit", "reserved"), [
    ("CreateService", SERVICE_NAME_MAX, "service"),
    ("CreateRule", naming.RULE_NAME_MAX, "rule"),
    ("CreateTargetGroup", TARGET_GROUP_NAME_MAX, "target_group"),
])
def test_the_name_limits_and_reserved_prefixes_are_the_api_models(operation, limit, reserved):
    shape = _lattice_input(operation, "name")
    assert limit == shape.metadata["max"]
    assert shape.metadata["pattern"].startswith(f"(?!{naming.RESERVED_PREFIXES[reserved]})")


def test_the_tag_value_limit_is_the_api_models():
    assert TAG_VALUE_MAX == _lattice_input("TagResource", "tags").value.metadata["max"]

"""A target group spec holds only what its type takes: an unknown type, or a setting the
type has not, is refused when the spec is made, naming the group."""

from __future__ import annotations

import pytest

from components.specs import TargetGroupSpec


def test_an_unknown_type_is_refused_naming_the_group():
    with pytest.raises(ValueError) as raised:
        TargetGroupSpec(key="HTTPRoute/shop/checkout/backend/x", name="x", port=80, protocol="HTTP",
                        protocol_version="HTTP1", vpc_identifier="vpc-0a1b2c3d", type="NLB")

    assert str(raised.value) == ("target group 'HTTPRoute/shop/checkout/backend/x': type 'NLB' is not one of "
                                 "['ALB', 'INSTANCE', 'IP', 'LAMBDA']")


def test_a_setting_the_type_does_not_take_is_refused():
    with pytest.raises(ValueError) as raised:
        TargetGroupSpec(key="fn", name="fn", port=80, protocol=None, protocol_version=None, vpc_identifier=None,
                        ip_address_type=None, type="LAMBDA")

    assert str(raised.value) == ("target group 'fn' of type LAMBDA: ['port'] are not settings of that type "
                                 "(it takes ['lambda_event_structure_version']); leave them None")


def test_a_lambda_group_with_only_its_own_settings_is_made():
    spec = TargetGroupSpec(key="fn", name="fn", port=None, protocol=None, protocol_version=None, vpc_identifier=None,
                           ip_address_type=None, type="LAMBDA", lambda_event_structure_version="V2")

    assert (spec.type, spec.lambda_event_structure_version) == ("LAMBDA", "V2")

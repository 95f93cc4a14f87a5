"""Planned steps grouped by Kubernetes object, as `up` and `destroy` show them before asking."""

from __future__ import annotations

from types import SimpleNamespace

from lattice_program.engine.changes import ObjectChanges, object_of

URN = "urn:pulumi:dev::lattice-gateway::lattice:index:GatewayClass$lattice:index:HTTPRoute$aws:vpclattice/listenerRule:ListenerRule::"


def step(op: str, logical: str, type_: str = "aws:vpclattice/listenerRule:ListenerRule"):
    return SimpleNamespace(resource_pre_event=SimpleNamespace(
        metadata=SimpleNamespace(op=SimpleNamespace(value=op), urn=URN + logical, type=type_)))


def test_steps_group_by_object_and_unchanging_steps_are_left_out():
    changes = ObjectChanges()
    for event in (step("update", "HTTPRoute/shop/checkout/http-80/split"),
                  step("replace", "HTTPRoute/shop/checkout/http-80/split.exact"),
                  step("refresh", "HTTPRoute/shop/checkout/http-80/pinned"),  # a refreshed preview reads each one
                  step("same", "HTTPRoute/shop/cart/http-80/r"),
                  step("read", "HTTPRoute/shop/cart/http-80/x"),
                  step("delete", "GatewayClass/amazon-vpc-lattice/x", "aws:vpclattice/serviceNetwork:ServiceNetwork"),
                  step("create", "stack", "pulumi:pulumi:Stack"),
                  SimpleNamespace(resource_pre_event=None)):
        changes.on_event(event)
    assert changes.plain() == {"GatewayClass/amazon-vpc-lattice": {"delete": 1},
                               "HTTPRoute/shop/checkout": {"replace": 1, "update": 1}}
    assert changes.destructive == 2


def test_object_of_keeps_the_namespace_only_for_namespaced_kinds():
    assert object_of(URN + "HTTPRoute/shop/checkout/http-80/split") == "HTTPRoute/shop/checkout"
    assert object_of(URN + "GatewayClass/amazon-vpc-lattice/network") == "GatewayClass/amazon-vpc-lattice"

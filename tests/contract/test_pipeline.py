"""pipeline.py: an object whose implied request the VPC Lattice API would refuse is
reported, leaves the model, and takes with it what depends on it; the rest converge.

The translator refuses everything it knows Lattice cannot honour, so no manifest today
gets as far as a contract violation; the API model is made to refuse one chosen request
instead (``refusing``), and everything else is checked against the real model.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import pytest

from lattice_program.contract import pipeline
from lattice_program.contract.check import ContractViolation, check_request
from lattice_program.vocabulary.settings import ClusterSettings, StackSettings
from lattice_program.vocabulary.status import StatusBook

from tests.support.plans import (CONTROLLER, assert_contract_clean, assert_not_in_model, plan_yaml, problems_for,
                                 route_parents, status_of, the_route)
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service, world
from tests.translate.test_multicluster import (EAST_LEDGER, EAST_VPC, IMPORT_LEDGER, PAYMENTS, WEST_LEDGER,
                                               payments_route, service_import, two_clusters)

Refuses = Callable[[str, Mapping[str, Any]], bool]


@pytest.fixture
def refusing(monkeypatch):
    """Make the API model refuse the requests ``refuses(operation, params)`` picks."""
    def install(refuses: Refuses) -> None:
        def check(operation, params):
            found = check_request(operation, params)
            if refuses(operation, params):
                found = found + [ContractViolation(operation, "name", "refused by the test's API model")]
            return found
        monkeypatch.setattr(pipeline, "check_request", check)
    return install


WORLD = world(
    gateway_class(controller=CONTROLLER),
    gateway("edge"), gateway("side"),
    service("cart"), endpoint_slice("cart", addresses=("10.0.0.1",)),
    service("shop"), endpoint_slice("shop", addresses=("10.0.0.2",)),
    http_route("cart", parents=["edge"], backends=[("cart", 80)]),
    http_route("shop", parents=["edge"], backends=[("shop", 80)]),
    http_route("aside", parents=["side"], backends=[("shop", 80)]),
)


def accepted(result, name: str) -> str:
    [parent] = route_parents(result, name)
    return parent.conditions["Accepted"].status


def test_a_route_whose_request_is_refused_is_reported_and_dropped_and_the_others_converge(refusing):
    refusing(lambda operation, params: operation == "CreateService" and params["name"].startswith("cart-"))
    result = plan_yaml(WORLD)

    assert_not_in_model(result, "HTTPRoute/default/cart")
    [problem] = problems_for(result, "HTTPRoute", "default", "cart")
    assert problem.severity == "error"
    assert "the VPC Lattice API would refuse" in problem.message and "CreateService name" in problem.message
    [parent] = route_parents(result, "cart")
    condition = parent.conditions["Accepted"]
    assert (condition.status, condition.reason) == ("False", "UnsupportedValue")
    assert "CreateService" in condition.message
    # The other routes on the same Gateway, and the Gateway, are untouched.
    assert the_route(result, "HTTPRoute/default/shop").key == "HTTPRoute/default/shop"
    assert accepted(result, "shop") == "True" and accepted(result, "aside") == "True"
    assert {g.key for g in result.model.gateways()} == {"Gateway/default/edge", "Gateway/default/side"}
    assert_contract_clean(result.model)


def test_a_gateway_whose_network_is_refused_takes_its_routes_with_it(refusing):
    refusing(lambda operation, params: operation == "CreateServiceNetwork" and params["name"] == "side")
    result = plan_yaml(WORLD)

    assert [g.key for g in result.model.gateways()] == ["Gateway/default/edge"]
    assert "side" not in {n.name for g in result.model.gateways() for n in [g.service_network]}
    gateway_status = status_of(result, "Gateway", "default", "side")
    condition = gateway_status.conditions["Accepted"]
    assert (condition.status, condition.reason) == ("False", "UnsupportedValue")
    [refused] = problems_for(result, "Gateway", "default", "side", "error")
    assert "CreateServiceNetwork" in refused.message
    # The route on it is left out, saying why; the routes of the other Gateway stay.
    assert_not_in_model(result, "HTTPRoute/default/aside")
    [left_out] = problems_for(result, "HTTPRoute", "default", "aside")
    assert left_out.message == "left out because its network Gateway/default/side was left out"
    assert {r.key for r in result.model.routes()} == {"HTTPRoute/default/cart", "HTTPRoute/default/shop"}
    # Targets of groups no route keeps are gone too; the others stay.
    kept_groups = {tg.key for r in result.model.routes() for tg in r.target_groups}
    assert set(result.model.targets) == kept_groups and kept_groups


def test_an_export_whose_target_group_is_refused_takes_the_routes_importing_it(refusing):
    refusing(lambda operation, params: operation == "CreateTargetGroup"
             and params.get("config", {}).get("vpcIdentifier") == EAST_VPC)
    result = two_clusters(east=payments_route(IMPORT_LEDGER) + service_import())

    exports = {e.key for e in result.model.exports}
    assert exports == {"ServiceExport/bank/ledger/west"}
    assert EAST_LEDGER not in result.model.targets and WEST_LEDGER in result.model.targets
    refused = [p for p in result.problems if p.object is not None and p.object.kind == "ServiceExport"]
    assert [(p.object.name, p.object.cluster) for p in refused] == [("ledger", "east")]
    assert PAYMENTS not in {r.key for r in result.model.routes()}
    [left_out] = [p for p in result.problems if p.object is not None and p.object.key == PAYMENTS]
    assert left_out.message == "left out because the target groups of ServiceExport/bank/ledger/east was left out"


def test_nothing_refused_leaves_the_model_as_translated(refusing):
    refusing(lambda operation, params: False)
    result = plan_yaml(WORLD)
    assert {r.key for r in result.model.routes()} == {"HTTPRoute/default/cart", "HTTPRoute/default/shop",
                                                        "HTTPRoute/default/aside"}
    assert not result.errors


def test_a_refused_service_network_object_takes_the_gateway_using_it_and_that_gateway_s_routes(refusing):
    network = {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceNetwork",
               "metadata": {"name": "shared-net"}}
    listener = {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}
    objects = world(network, gateway("shared-net", "infra", listeners=[listener]),
                    http_route("web", parents=[{"name": "shared-net", "namespace": "infra"}], backends=[("cart", 80)]))
    refusing(lambda operation, params: operation == "CreateServiceNetwork" and params["name"] == "shared-net")
    result = plan_yaml(WORLD + "---\n" + objects)

    assert [n.key for n in result.model.service_networks] == []
    [refused] = problems_for(result, "ServiceNetwork", None, "shared-net")
    assert "CreateServiceNetwork" in refused.message
    assert "Gateway/infra/shared-net" not in {g.key for g in result.model.gateways()}
    [left_out] = problems_for(result, "HTTPRoute", "default", "web")
    assert left_out.message == "left out because its network Gateway/infra/shared-net was left out"
    assert {r.key for r in result.model.routes()} == {"HTTPRoute/default/cart", "HTTPRoute/default/shop",
                                                        "HTTPRoute/default/aside"}


# --- inputs, and owners the status book does not know ---------------------------------------


def test_one_stream_of_objects_for_a_stack_of_several_clusters_is_refused():
    stack = StackSettings(clusters=[ClusterSettings(name="east", vpc_id=EAST_VPC),
                                    ClusterSettings(name="west", vpc_id="vpc-0f9e8d7c6b5a40312")])
    with pytest.raises(ValueError, match="several clusters: give each cluster's objects by cluster name"):
        pipeline.plan([], stack)
    with pytest.raises(ValueError, match=r"cluster\(s\) \['north'\] that the stack settings do not name"):
        pipeline.plan({"east": [], "north": []}, stack)


@pytest.mark.parametrize(("key", "ref"), [
    ("HTTPRoute/shop/cart", ("HTTPRoute", "shop", "cart", "")),
    ("ServiceNetwork/shared-net", ("ServiceNetwork", None, "shared-net", "")),
    ("ServiceExport/bank/ledger/east", ("ServiceExport", "bank", "ledger", "east")),
])
def test_an_owner_key_the_status_book_does_not_know_still_names_its_object(key, ref):
    found = pipeline._owner_ref(StatusBook(), key)
    assert (found.kind, found.namespace, found.name, found.cluster) == ref

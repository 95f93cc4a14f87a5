"""The world builder makes objects the parser takes, and the smallest world plans."""

from tests.support.plans import plan_yaml, the_route
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service, world


def test_the_smallest_world_plans_one_route_with_its_targets():
    result = plan_yaml(world(gateway_class(), gateway("edge", "shop"), service("cart", "shop"),
                             endpoint_slice("cart", "shop", addresses=["10.0.0.7", "10.0.0.8"]),
                             http_route("cart", "shop", parents=["edge"], backends=[("cart", 80)])))
    assert not result.errors, [str(p) for p in result.errors]
    route = the_route(result)
    assert route.key == "HTTPRoute/shop/cart"
    [group] = route.target_groups
    assert sorted(t.id for t in result.model.targets[group.key]) == ["10.0.0.7", "10.0.0.8"]


def test_https_listeners_terminate_and_weights_are_kept():
    edge = gateway("edge", listeners=[("https", 443, "HTTPS")])
    assert edge["spec"]["listeners"] == [{"name": "https", "port": 443, "protocol": "HTTPS",
                                          "tls": {"mode": "Terminate"}}]
    route = http_route("r", parents=["edge"], backends=[("a", 80, 3), ("b", 80, 1)])
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "a", "port": 80, "weight": 3},
                                                        {"name": "b", "port": 80, "weight": 1}]

"""attachment.py: hostname intersection, namespace selectors, and the parentRef a route's
status names."""

from __future__ import annotations

import pytest

from lattice_program.sources import gateway_api as k8s
from lattice_program.translate.attachment import intersect_hostnames, selector_matches

from tests.support.plans import CONTROLLER, plan_yaml, problems_for, route_parents, status_of
from tests.support.world import gateway, gateway_class, http_route, world

# --- hostnames --------------------------------------------------------------------------


@pytest.mark.parametrize(("listener", "route"), [
    ("*.example.com", "foo.other.org"),      # another domain, longer than the suffix
    ("*.example.com", "badexample.com"),     # the suffix without its label boundary
    ("*.example.com", "example.com"),        # the wildcard needs a label of its own
    ("*.example.com", "example.com.evil.org"),
    ("foo.example.com", "bar.example.com"),
    ("foo.example.com", "*.other.org"),
])
def test_hostnames_that_do_not_intersect(listener, route):
    assert intersect_hostnames(listener, [route]) is None
    assert intersect_hostnames(route, [listener]) is None  # symmetric


@pytest.mark.parametrize(("listener", "route", "shared"), [
    ("*.example.com", "foo.example.com", "foo.example.com"),
    ("*.example.com", "a.b.example.com", "a.b.example.com"),
    ("foo.example.com", "foo.example.com", "foo.example.com"),
    # A wildcard route on a specific listener serves the listener's hostname.
    ("foo.example.com", "*.example.com", "foo.example.com"),
    ("a.b.example.com", "*.example.com", "a.b.example.com"),
    # Two wildcards: the narrower one.
    ("*.example.com", "*.example.com", "*.example.com"),
    ("*.example.com", "*.foo.example.com", "*.foo.example.com"),
    ("*.foo.example.com", "*.example.com", "*.foo.example.com"),
])
def test_intersecting_hostnames_give_the_more_specific(listener, route, shared):
    assert intersect_hostnames(listener, [route]) == [shared]


def test_only_the_route_hostnames_that_intersect_are_kept_in_order():
    route = ["b.example.com", "x.other.org", "a.example.com", "badexample.com"]
    assert intersect_hostnames("*.example.com", route) == ["b.example.com", "a.example.com"]


def test_one_side_without_hostnames_takes_the_other():
    assert intersect_hostnames(None, ["a.example.com", "*.b.org"]) == ["a.example.com", "*.b.org"]
    assert intersect_hostnames("*.example.com", []) == ["*.example.com"]
    assert intersect_hostnames(None, []) == []


# --- allowedRoutes namespace selectors ---------------------------------------------------


def selector(labels=None, **expression) -> k8s.LabelSelector:
    expressions = [expression] if expression else []
    return k8s.LabelSelector.model_validate({"matchLabels": labels or {}, "matchExpressions": expressions})


@pytest.mark.parametrize(("operator", "values", "labels", "matches"), [
    ("In", ["prod", "stage"], {"env": "prod"}, True),
    ("In", ["dev"], {"env": "prod"}, False),
    ("In", ["prod"], {}, False),
    ("NotIn", ["prod"], {"env": "prod"}, False),
    ("NotIn", ["dev", "stage"], {"env": "prod"}, True),
    ("NotIn", ["prod"], {}, True),  # Kubernetes: NotIn matches where the label is absent
    ("NotIn", ["prod"], {"tier": "prod"}, True),
    ("Exists", [], {"env": ""}, True),
    ("Exists", [], {"env": "prod"}, True),
    ("Exists", [], {"tier": "web"}, False),
    ("DoesNotExist", [], {"env": "prod"}, False),
    ("DoesNotExist", [], {"env": ""}, False),
    ("DoesNotExist", [], {"tier": "web"}, True),
])
def test_selector_operators(operator, values, labels, matches):
    assert selector_matches(selector(key="env", operator=operator, values=values), labels) is matches


def test_selector_needs_every_label_and_every_expression():
    both = selector({"team": "shop"}, key="env", operator="NotIn", values=["dev"])
    assert selector_matches(both, {"team": "shop", "env": "prod"})
    assert not selector_matches(both, {"team": "shop", "env": "dev"})
    assert not selector_matches(both, {"team": "other", "env": "prod"})
    assert not selector_matches(both, {"env": "prod"})
    assert selector_matches(selector(), {"anything": "x"})  # the empty selector selects all


def test_selector_of_a_listener_decides_attachment():
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
                  for name, labels in (("prod-shop", {"env": "prod"}), ("dev-shop", {"env": "dev"}),
                                       ("bare", {}))]
    listener = {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {
        "from": "Selector", "selector": {"matchExpressions": [{"key": "env", "operator": "Exists"}]}}}}
    routes = [http_route("r", namespace, parents=[{"name": "edge", "namespace": "infra"}])
              for namespace in ("prod-shop", "dev-shop", "bare")]
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge", "infra", listeners=[listener]), *namespaces, *routes))
    reasons = {namespace: route_parents(result, "r", namespace)[0].conditions["Accepted"].reason
               for namespace in ("prod-shop", "dev-shop", "bare")}
    assert reasons == {"prod-shop": "Accepted", "dev-shop": "Accepted", "bare": "NotAllowedByListeners"}


# --- status.parents[].parentRef ---------------------------------------------------------


def test_status_parent_ref_names_the_parent_with_defaults_filled_in():
    parents = [{"name": "edge", "sectionName": "http"}, {"name": "edge", "namespace": "default", "port": 8080},
               {"name": "missing", "namespace": "elsewhere"}]
    listeners = [("http", 80, "HTTP"), ("alt", 8080, "HTTP")]
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge", listeners=listeners), http_route("shop", parents=parents)))
    group = "gateway.networking.k8s.io"
    found = {tuple(sorted(p.parent_ref.items())): p.conditions["Accepted"].reason for p in route_parents(result, "shop")}
    assert found == {
        tuple(sorted({"group": group, "kind": "Gateway", "namespace": "default", "name": "edge",
                      "sectionName": "http"}.items())): "Accepted",
        tuple(sorted({"group": group, "kind": "Gateway", "namespace": "default", "name": "edge",
                      "port": 8080}.items())): "Accepted",
        tuple(sorted({"group": group, "kind": "Gateway", "namespace": "elsewhere",
                      "name": "missing"}.items())): "NoMatchingParent",
    }


def test_a_parent_ref_given_twice_has_one_status():
    parents = [{"name": "edge"}, {"name": "edge", "namespace": "default"}]
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"), http_route("shop", parents=parents)))
    assert len(route_parents(result, "shop")) == 1


# --- kinds and parents lattice-gateway does not serve ------------------------------------


def tcp_route(*parents: str):
    return {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute",
            "metadata": {"name": "stream", "namespace": "default"},
            "spec": {"parentRefs": [{"name": p} for p in parents], "rules": [{"backendRefs": [{"name": "x", "port": 9}]}]}}


THEIRS = [gateway_class("other", controller="example.com/other"), gateway("theirs", class_name="other")]


def test_an_unserved_kind_is_warned_about_only_when_one_of_its_parents_is_ours():
    ours = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"), *THEIRS, tcp_route("edge", "theirs")))
    [warning] = problems_for(ours, "TCPRoute", "default", "stream", "warning")
    assert warning.field == "kind" and "TCP" in warning.message
    not_ours = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"), *THEIRS, tcp_route("theirs")))
    assert problems_for(not_ours, "TCPRoute", "default", "stream") == []
    status = status_of(not_ours, "TCPRoute", "default", "stream")
    assert status is None or status.parents == []  # another controller's Gateway gets nothing from us


def test_a_route_with_a_gateway_parent_besides_listener_sets_is_not_told_to_leave_them():
    parents = [{"name": "set", "kind": "ListenerSet"}, {"name": "missing"}]
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"),
                             http_route("r", parents=parents, backends=[("web", 80)])))
    assert [p for p in problems_for(result, "HTTPRoute", "default", "r") if p.field == "spec.parentRefs"] == []
    [parent] = route_parents(result, "r")
    assert parent.conditions["Accepted"].reason == "NoMatchingParent"
    only_sets = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"),
                                http_route("r", parents=parents[:1], backends=[("web", 80)])))
    assert [p.field for p in problems_for(only_sets, "HTTPRoute", "default", "r")] == ["spec.parentRefs"]


def test_a_selector_listener_without_a_selector_allows_no_namespace():
    listener = {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "Selector"}}}
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge", listeners=[listener]),
                             http_route("r", parents=["edge"])))
    [parent] = route_parents(result, "r")
    assert parent.conditions["Accepted"].reason == "NotAllowedByListeners"


def test_parents_that_are_skipped_or_refused_do_not_stop_a_later_parent_from_attaching():
    parents = [
        {"group": "", "kind": "Service", "name": "mesh"},                                   # not a Gateway
        {"group": "gateway.networking.k8s.io", "kind": "ListenerSet", "name": "set"},       # not a Gateway either
        {"name": "missing"},                                                                # no such Gateway
        {"name": "missing", "namespace": "default"},                                       # the same parent again
        {"name": "theirs"},                                                                 # another controller's
        {"name": "gw"},                                                                     # ours, not accepted
        {"name": "edge", "sectionName": "nope"},                                            # no such listener
        {"name": "edge", "sectionName": "http"},
    ]
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), *THEIRS, gateway("gw"), gateway("edge"),
                             http_route("r", parents=parents, backends=[("web", 80)])))
    assert "HTTPRoute/default/r" in [r.key for r in result.model.routes()]
    reasons = {(p.parent_ref["name"], p.parent_ref.get("sectionName")): p.conditions["Accepted"].reason
               for p in route_parents(result, "r")}
    # Parents of other kinds and other controllers' Gateways get no status from us.
    assert reasons == {("missing", None): "NoMatchingParent", ("gw", None): "NoMatchingParent",
                       ("edge", "nope"): "NoMatchingParent", ("edge", "http"): "Accepted"}


def test_client_validation_for_another_port_does_not_apply_to_this_listener():
    edge = gateway("edge", listeners=[("https", 443, "HTTPS")])
    validation = {"caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "ca"}]}
    edge["spec"]["tls"] = {"frontend": {"perPort": [{"port": 8443, "tls": {"validation": validation}}]}}
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), edge,
                             http_route("secure", parents=[{"name": "edge", "sectionName": "https"}],
                                        backends=[("web", 80)])))
    [parent] = route_parents(result, "secure")
    assert parent.conditions["Accepted"].reason == "Accepted"


def test_the_accepted_condition_names_its_type():
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"),
                             http_route("r", parents=["edge", "missing"], backends=[("web", 80)])))
    assert {p.conditions["Accepted"].type for p in route_parents(result, "r")} == {"Accepted"}


def test_experimental_listener_sets_count_as_listener_sets():
    parents = [{"group": "gateway.networking.x-k8s.io", "kind": "XListenerSet", "name": "set"}]
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"),
                             http_route("r", parents=parents, backends=[("web", 80)])))
    assert [p.field for p in problems_for(result, "HTTPRoute", "default", "r")] == ["spec.parentRefs"]


def test_an_unserved_kind_skips_parents_that_are_not_gateways():
    route = tcp_route("edge")
    route["spec"]["parentRefs"].insert(0, {"group": "", "kind": "Service", "name": "mesh"})
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"), route))
    status = status_of(result, "TCPRoute", "default", "stream")
    assert [p.parent_ref["name"] for p in status.parents] == ["edge"]

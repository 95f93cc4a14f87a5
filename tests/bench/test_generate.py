"""The benchmark fleet: deterministic, valid YAML, and a fleet that plans without problems
(a benchmark of a plan that rejects half its input would flatter the planner)."""

from __future__ import annotations

from collections import Counter

import yaml

from bench.generate import (
    ENDPOINTS_PER_SLICE,
    LATTICE_RULES_PER_ROUTE,
    RULES_PER_ROUTE,
    documents_yaml,
    fleet_objects,
    fleet_settings,
    fleet_yaml,
    namespace_of,
    write_fleet,
)
from lattice_program.contract.pipeline import plan
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.sources.files import load_paths, load_text


def test_same_size_and_seed_give_the_same_yaml_and_another_seed_does_not():
    assert fleet_yaml(30, seed=7) == fleet_yaml(30, seed=7)
    assert fleet_yaml(30, seed=7) != fleet_yaml(30, seed=8)


def test_yaml_reads_back_as_the_objects():
    objects = fleet_objects(25, namespaces=4)
    assert list(yaml.load_all(documents_yaml(objects), Loader=yaml.CSafeLoader)) == objects


def test_emitter_quotes_what_yaml_would_otherwise_reinterpret():
    tricky = {"metadata": {"name": "yes", "labels": {"a": "10", "b": "null", "c": "x: y", "d": "ends:", "e": "",
                                                     "f": "#x", "g": "-1.5e3", "h": "on"}},
              "list": ["true", 3, False, {}, []]}
    assert next(yaml.load_all(documents_yaml([tricky]), Loader=yaml.CSafeLoader)) == tricky


def test_fleet_has_the_promised_shape():
    objects = fleet_objects(40, namespaces=8)
    kinds = Counter(o["kind"] for o in objects)
    assert kinds == {"GatewayClass": 1, "Gateway": 1, "HTTPRoute": 40, "Service": 80, "EndpointSlice": 80}
    routes = [o for o in objects if o["kind"] == "HTTPRoute"]
    assert {r["metadata"]["namespace"] for r in routes} == {namespace_of(i, 8) for i in range(8)}
    for route in routes:
        rules = route["spec"]["rules"]
        assert len(rules) == RULES_PER_ROUTE
        assert all(len(rule["backendRefs"]) == 2 for rule in rules)
        matches = [m for rule in rules for m in rule["matches"]]
        assert sum(m["path"]["type"] == "Exact" for m in matches) == 1
        assert any("headers" in m for m in matches) and any("method" in m for m in matches)
    slices = [o for o in objects if o["kind"] == "EndpointSlice"]
    assert all(len(s["endpoints"]) == ENDPOINTS_PER_SLICE for s in slices)
    addresses = [e["addresses"][0] for s in slices for e in s["endpoints"]]
    assert len(set(addresses)) == len(addresses)


def test_fleet_plans_every_route_without_problems(tmp_path):
    files = write_fleet(tmp_path, 60, namespaces=5)
    assert [f.name for f in files][:2] == ["00-gatewayclass.yaml", "10-gateway.yaml"]
    from_files = plan(load_paths([str(tmp_path)]), StackSettings())
    assert from_files.problems == ()
    assert len(from_files.model.routes()) == 60
    assert all(len(r.listeners[0].rules) == LATTICE_RULES_PER_ROUTE and len(r.target_groups) == 2
               for r in from_files.model.routes())
    from_text = plan(load_text(fleet_yaml(60, namespaces=5)), StackSettings())
    assert from_text.model == from_files.model


def test_fleet_settings_make_room_for_every_route_in_the_one_network():
    routes = StackSettings().services_per_service_network + 1
    assert len(plan(load_text(fleet_yaml(routes)), StackSettings()).model.routes()) < routes
    beyond_the_quota = plan(load_text(fleet_yaml(routes)), fleet_settings(routes))
    assert beyond_the_quota.problems == ()
    assert len(beyond_the_quota.model.routes()) == routes
    assert fleet_settings(10) == StackSettings()

"""Reading YAML sources and parsing them into a snapshot: where objects come from, and
how each bad object becomes one problem naming its field, never a traceback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lattice_program.sources import gateway_api as k8s
from lattice_program.sources.snapshot import parse
from lattice_program.sources.files import SourceError, load_paths, load_text
from lattice_program.vocabulary.status import ObjectRef

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec: {{ports: [{{port: 80}}]}}
"""


def service(name: str, namespace: str = "default") -> str:
    return SERVICE.format(name=name, namespace=namespace)


def parsed(text: str, **kwargs):
    return parse(load_text(text, "input.yaml"), **kwargs)


def fields(result) -> list[str]:
    return [p.field for p in result.problems]


# --- sources ---------------------------------------------------------------------------------


def test_file_with_several_documents_keeps_each_origin(tmp_path: Path):
    file = tmp_path / "two.yaml"
    file.write_text(service("a") + "---\n---\n" + service("b"))  # an empty document in between
    objects = load_paths([str(file)])
    assert [o.body["metadata"]["name"] for o in objects] == ["a", "b"]
    assert [o.origin for o in objects] == [f"{file}#0", f"{file}#2"]


def test_directory_is_read_recursively_in_sorted_order_and_only_yaml(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / "b" / "deep" / "z.yml").write_text(service("deep"))
    (tmp_path / "b" / "one.yaml").write_text(service("one"))
    (tmp_path / "a.yaml").write_text(service("top"))
    (tmp_path / "README.md").write_text("not: [yaml")  # ignored: not a YAML suffix
    (tmp_path / "notes.txt").write_text(": : :")
    names = [o.body["metadata"]["name"] for o in load_paths([str(tmp_path)])]
    assert names == ["top", "deep", "one"]


def test_several_paths_are_concatenated_in_order(tmp_path: Path):
    (tmp_path / "x.yaml").write_text(service("x"))
    (tmp_path / "y.yaml").write_text(service("y"))
    objects = load_paths([str(tmp_path / "y.yaml"), str(tmp_path / "x.yaml")])
    assert [o.body["metadata"]["name"] for o in objects] == ["y", "x"]


def test_kind_list_is_expanded_with_item_origins():
    text = """\
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: first}}
- {apiVersion: v1, kind: Service, metadata: {name: second}}
"""
    objects = load_text(text, "list.yaml")
    assert [o.body["metadata"]["name"] for o in objects] == ["first", "second"]
    assert [o.origin for o in objects] == ["list.yaml#0.items[0]", "list.yaml#0.items[1]"]


def test_dash_reads_standard_input():
    objects = load_paths(["-"], stdin=io.StringIO(service("piped") + "---\n" + service("also")))
    assert [o.body["metadata"]["name"] for o in objects] == ["piped", "also"]
    assert objects[0].origin == "<stdin>#0"


def test_stdin_mixed_with_files(tmp_path: Path):
    (tmp_path / "f.yaml").write_text(service("file"))
    objects = load_paths([str(tmp_path / "f.yaml"), "-"], stdin=io.StringIO(service("stdin")))
    assert [o.body["metadata"]["name"] for o in objects] == ["file", "stdin"]


def test_malformed_yaml_is_a_source_error_with_the_line(tmp_path: Path):
    file = tmp_path / "broken.yaml"
    file.write_text(service("fine") + "---\napiVersion: v1\nkind: Service\nmetadata: {name: [unclosed\n")
    with pytest.raises(SourceError) as raised:
        load_paths([str(file)])
    message = str(raised.value)
    assert str(file) in message and "malformed YAML" in message
    assert "line 8" in message or "line 9" in message, message  # where the flow sequence was left open


def test_malformed_yaml_on_stdin_names_stdin():
    with pytest.raises(SourceError, match=r"<stdin>: malformed YAML: .* at line 2"):
        load_paths(["-"], stdin=io.StringIO("a: b\n  c: d\n"))


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda root: [], "no input given"),
        (lambda root: [str(root / "absent.yaml")], "no such file or directory"),
        (lambda root: [str(root)], "holds no .yaml, .yml or .json files"),
    ],
    ids=["nothing", "missing-path", "empty-directory"],
)
def test_unreadable_inputs_are_source_errors(tmp_path: Path, setup, expected):
    with pytest.raises(SourceError, match=expected):
        load_paths(setup(tmp_path))


def test_file_that_is_not_utf8_is_a_source_error(tmp_path: Path):
    file = tmp_path / "latin1.yaml"
    file.write_bytes(b"apiVersion: v1\nkind: Service\nmetadata: {name: caf\xe9}\n")
    with pytest.raises(SourceError, match=r"latin1.yaml: line 3: not UTF-8 text \(byte 0xe9\)"):
        load_paths([str(file)])


# --- parsing into a snapshot --------------------------------------------------------------------


def test_objects_are_indexed_by_kind_and_identity():
    result = parsed(f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: lattice}}
spec: {{controllerName: example.com/controller}}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {{name: gw, namespace: infra}}
spec: {{gatewayClassName: lattice, listeners: [{{name: http, port: 80, protocol: HTTP}}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r}}
spec: {{parentRefs: [{{name: gw, namespace: infra}}]}}
---
{service("web", "apps")}
---
apiVersion: v1
kind: Namespace
metadata: {{name: apps, labels: {{team: x}}}}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {{name: g, namespace: apps}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}}]
  to: [{{group: "", kind: Service}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: web-1, namespace: apps, labels: {{kubernetes.io/service-name: web}}}}
addressType: IPv4
endpoints: [{{addresses: [10.0.0.1]}}]
""")
    assert result.problems == ()
    snapshot = result.snapshot
    assert set(snapshot.gateway_classes) == {"lattice"}
    assert set(snapshot.gateways) == {("infra", "gw")}
    assert set(snapshot.http_routes) == {("default", "r")}  # the default namespace is filled in
    assert set(snapshot.services) == {("apps", "web")}
    assert [g.metadata.name for g in snapshot.reference_grants["apps"]] == ["g"]
    assert [s.metadata.name for s in snapshot.endpoint_slices[("apps", "web")]] == ["web-1"]
    assert snapshot.namespace_labels("apps") == {"team": "x", "kubernetes.io/metadata.name": "apps"}
    assert snapshot.namespace_labels("unknown") == {"kubernetes.io/metadata.name": "unknown"}
    assert snapshot.origins[ObjectRef("HTTPRoute", "default", "r")] == "input.yaml#2"
    route = snapshot.http_routes[("default", "r")]
    assert route.spec.rules[0].matches[0].path == k8s.HTTPPathMatch(type="PathPrefix", value="/")


def test_default_namespace_is_configurable():
    result = parsed(service("web").replace("namespace: default", "namespace: null"), default_namespace="team")
    assert set(result.snapshot.services) == {("team", "web")}


def test_unknown_kinds_are_warnings_and_skipped():
    result = parsed("""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: BackendLBPolicy
metadata: {name: t}
""")
    assert [(p.severity, p.field, p.object.kind) for p in result.problems] == [
        ("warning", "kind", "Deployment"), ("warning", "kind", "BackendLBPolicy")]
    assert "not read" in result.problems[0].message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("""\
kind: HTTPRoute
spec: {parentRefs: [{sectionName: http}]}
""", "spec.parentRefs[0].name"),
        ("""\
kind: HTTPRoute
spec: {rules: [{matches: [{path: {type: Exact, value: relative}}]}]}
""", "spec.rules[0].matches[0].path.value"),
        ("""\
kind: HTTPRoute
spec: {rules: [{matches: [{headers: [{name: "has space", value: v}]}]}]}
""", "spec.rules[0].matches[0].headers[0].name"),
        ("""\
kind: HTTPRoute
spec: {rules: [{backendRefs: [{name: a, port: 80, weight: 1000001}]}]}
""", "spec.rules[0].backendRefs[0].weight"),
        ("""\
kind: HTTPRoute
spec: {rules: [{backendRefs: [{name: a, port: 0}]}]}
""", "spec.rules[0].backendRefs[0].port"),
        ("""\
kind: HTTPRoute
spec: {hostnames: [UPPER.example.com]}
""", "spec.hostnames[0]"),
        ("""\
kind: HTTPRoute
spec: {rules: [{name: same}, {name: same}]}
""", "spec.rules"),
        ("""\
kind: Gateway
spec: {gatewayClassName: c, listeners: [{name: a, port: 80, protocol: HTTP}, {name: a, port: 81, protocol: HTTP}]}
""", "spec.listeners"),
        ("""\
kind: Gateway
spec: {gatewayClassName: c, listeners: [{name: a, port: 80}]}
""", "spec.listeners[0].protocol"),
        ("""\
kind: Gateway
spec: {gatewayClassName: c, listeners: []}
""", "spec.listeners"),
        ("""\
kind: Gateway
spec: {listeners: [{name: a, port: 80, protocol: HTTP}]}
""", "spec.gatewayClassName"),
    ],
    ids=["parentRef-name", "relative-path", "header-name", "weight", "port-zero", "upper-hostname",
         "rule-names", "listener-names", "listener-protocol", "no-listeners", "gateway-class"],
)
def test_invalid_fields_are_named_by_path(text, field):
    body = "apiVersion: gateway.networking.k8s.io/v1\nmetadata: {name: obj, namespace: ns}\n" + text
    result = parsed(body + "---\n" + service("survivor"))
    [problem] = result.problems
    assert (problem.field, problem.severity) == (field, "error")
    assert problem.object is not None and problem.object.name == "obj" and problem.object.namespace == "ns"
    assert problem.origin == "input.yaml#0"
    assert str(problem).startswith(f"{problem.object.kind} ns/obj {field}: ")
    assert set(result.snapshot.services) == {("default", "survivor")}  # the rest still parses
    assert not result.snapshot.http_routes and not result.snapshot.gateways


def test_missing_required_field_says_how_to_fix():
    result = parsed("""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec: {parentRefs: [{port: 80}]}
""")
    [problem] = result.problems
    assert problem.field == "spec.parentRefs[0].name" and "missing" in problem.message and "add it" in problem.message


def test_service_backend_without_port_is_a_problem_mentioning_port():
    result = parsed("""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec: {rules: [{backendRefs: [{name: web}]}]}
""")
    [problem] = result.problems
    assert problem.field.startswith("spec.rules[0].backendRefs[0]")
    assert "port is required" in problem.message


def test_service_backend_without_port_names_the_port_field():
    result = parsed("""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec: {rules: [{backendRefs: [{name: web}]}]}
""")
    assert [p.field for p in result.problems] == ["spec.rules[0].backendRefs[0].port"]


def test_duplicate_objects_keep_the_first_and_say_where_it_was():
    result = parsed(service("web") + "---\n" + service("web").replace("port: 80", "port: 81") + "---\n"
                    + service("web", "other"))
    [problem] = result.problems
    assert problem.field == "metadata.name" and "input.yaml#0" in problem.message and problem.origin == "input.yaml#1"
    assert result.snapshot.services[("default", "web")].spec.ports[0].port == 80
    assert set(result.snapshot.services) == {("default", "web"), ("other", "web")}


@pytest.mark.parametrize("api_version", ["gateway.networking.k8s.io/v2", "gateway.networking.k8s.io/v1alpha2", "v2"])
def test_unsupported_api_version_of_a_known_kind(api_version):
    kind = "Service" if "/" not in api_version else "HTTPRoute"
    result = parsed(f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\n")
    [problem] = result.problems
    assert (problem.field, problem.severity) == ("apiVersion", "error")
    assert api_version in problem.message and "use " in problem.message
    assert not result.snapshot.services and not result.snapshot.http_routes


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("kind: Service\nmetadata: {name: x}\n", "apiVersion"),
        ("apiVersion: v1\nmetadata: {name: x}\n", "kind"),
        ("apiVersion: 1\nkind: Service\n", "apiVersion"),
    ],
)
def test_objects_without_api_version_or_kind(text, field):
    [problem] = parsed(text).problems
    assert problem.field == field and problem.object is None and problem.origin == "input.yaml#0"


@pytest.mark.parametrize("document", ["- a\n- list\n", "just text\n", "42\n"])
def test_documents_that_are_not_objects(document):
    [problem] = parsed(document).problems
    assert problem.object is None and problem.origin == "input.yaml#0" and "not a Kubernetes object" in problem.message


def test_endpoint_slice_without_service_label_is_a_warning():
    result = parsed("""\
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: orphan}
addressType: IPv4
""")
    [problem] = result.problems
    assert (problem.severity, problem.field) == ("warning", "metadata.labels")
    assert not result.snapshot.endpoint_slices


def test_unquoted_creation_timestamp_is_kept_as_text():
    result = parsed("""\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, creationTimestamp: 2024-05-01T10:00:00Z}
spec: {gatewayClassName: c, listeners: [{name: a, port: 80, protocol: HTTP}]}
""")
    assert result.problems == ()
    assert result.snapshot.gateways[("default", "gw")].metadata.creation_timestamp.startswith("2024-05-01T10:00:00")


def test_cluster_scoped_objects_have_no_namespace_in_their_identity():
    result = parsed("""\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lattice}
spec: {controllerName: example.com/controller}
""")
    assert ObjectRef("GatewayClass", None, "lattice") in result.snapshot.origins


def test_namespace_on_a_cluster_scoped_object_does_not_hide_a_duplicate():
    result = parsed("""\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lattice, namespace: a}
spec: {controllerName: example.com/first}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lattice, namespace: b}
spec: {controllerName: example.com/second}
""")
    assert [p.field for p in result.problems] == ["metadata.name"]
    assert result.snapshot.gateway_classes["lattice"].spec.controller_name == "example.com/first"

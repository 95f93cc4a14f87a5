"""Input the sources refuse, each with the place and the fix: paths the system cannot
stat, standard input that is not UTF-8 or too large, YAML with complex keys, and object
fields whose rules only the sources know (paths, gRPC names, repeated targets, IntOrString)."""

from __future__ import annotations

import codecs
import io

import pytest

from lattice_program.sources.files import MAX_SOURCE_BYTES, SourceError, load_paths, load_text
from lattice_program.sources.snapshot import parse
from lattice_program.sources.yaml_documents import YamlRefused, documents


def problems(text: str):
    return [(p.field, p.message) for p in parse(load_text(text, "input.yaml")).problems]


# -- files and standard input ----------------------------------------------------------------

def test_a_path_the_system_cannot_stat_names_the_reason(tmp_path):
    too_long = tmp_path / ("x" * 300 + ".yaml")  # ENAMETOOLONG: neither missing nor a link loop

    with pytest.raises(SourceError) as raised:
        load_paths([str(too_long)])

    assert str(raised.value) == f"{too_long}: cannot read (File name too long)"


def test_a_text_stream_that_does_not_decode_is_refused_as_not_utf8():
    latin1_reader = codecs.getreader("utf-8")(io.BytesIO("metadata: {name: café}\n".encode("latin-1")))

    with pytest.raises(SourceError) as raised:
        load_paths(["-"], stdin=latin1_reader)

    assert str(raised.value).startswith("<stdin>: not UTF-8 text; ")
    assert "iconv -t UTF-8" in str(raised.value)


def test_a_text_stream_over_the_limit_is_refused():
    oversized = io.StringIO("#" * (MAX_SOURCE_BYTES + 1))

    with pytest.raises(SourceError) as raised:
        load_paths(["-"], stdin=oversized)

    assert str(raised.value) == (f"<stdin>: more than {MAX_SOURCE_BYTES // 1_048_576} MiB of YAML; "
                                 "lattice-gateway reads at most that much")


# -- YAML --------------------------------------------------------------------------------------

def test_a_complex_key_is_refused_by_line():
    with pytest.raises(YamlRefused) as raised:
        list(documents("apiVersion: v1\nkind: Service\nmetadata:\n  ? [name]\n  : web\n"))

    assert str(raised.value) == "malformed YAML: found unhashable key at line 4, column 5"


def test_a_complex_key_does_not_hide_a_repeated_key_beside_it():
    with pytest.raises(YamlRefused) as raised:
        list(documents("spec:\n  ? [a]\n  : 1\n  port: 80\n  port: 81\n"))

    assert raised.value.line == 5
    assert "key 'port' is set twice in one mapping (first at line 4)" in str(raised.value)


def test_repeated_merge_keys_are_not_duplicates():
    [document] = documents("a: &a {x: 1}\nb: &b {y: 2}\nspec:\n  <<: *a\n  <<: *b\n  z: 3\n")

    assert document.body["spec"]["z"] == 3 and "<<" not in document.body["spec"]


def test_empty_documents_keep_their_index():
    parsed = list(documents("---\n---\n---\nkind: Service\n"))

    assert [(d.index, d.body) for d in parsed] == [(0, None), (1, None), (2, {"kind": "Service"})]
    assert parsed[2].line == 4


# -- fields ------------------------------------------------------------------------------------

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r}}
spec:
  rules:
  - matches: [{{path: {{type: {type}, value: {value!r}}}}}]
"""


@pytest.mark.parametrize(("value", "bad"), [("/a//b", "//"), ("/a/./b", "/./"), ("/a/%2fb", "%2f"), ("/a#b", "#")])
def test_a_path_with_a_forbidden_sequence_names_it(value: str, bad: str):
    [(field, message)] = problems(ROUTE.format(type="PathPrefix", value=value))

    assert field == "spec.rules[0].matches[0].path.value"
    assert message.startswith(f"path {value!r} must not contain {bad!r}")


def test_a_regular_expression_path_is_not_held_to_path_rules():
    assert problems(ROUTE.format(type="RegularExpression", value="/a//.*")) == []


GRPC_ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {{name: g}}
spec:
  rules:
  - matches: [{{method: {{{match}}}}}]
"""


@pytest.mark.parametrize(("match", "expected"), [
    ("type: Exact", "one or both of 'service' and 'method' must be set"),
    ("service: 'hello world.Greeter'", "service 'hello world.Greeter' is not a gRPC service name"),
    ("service: helloworld.Greeter, method: 'Say/Hello'", "method 'Say/Hello' is not a gRPC method name"),
])
def test_an_invalid_grpc_name_is_refused(match: str, expected: str):
    [(field, message)] = problems(GRPC_ROUTE.format(match=match))

    assert field == "spec.rules[0].matches[0].method"
    assert expected in message


def test_a_target_listed_twice_is_refused():
    [(field, message)] = problems("""\
apiVersion: lattice-gateway.io/v1alpha1
kind: LatticeBackend
metadata: {name: b}
spec: {ips: {addresses: [10.0.0.1, 10.0.0.2, 10.0.0.1], port: 80}}
""")

    assert field == "spec.ips.addresses"
    assert message.endswith("['10.0.0.1'] appear more than once; list each target once")


def test_an_int_or_string_field_is_named_without_the_union_branches():
    found = problems("""\
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{port: 80, targetPort: [8080]}]}
""")

    assert {field for field, _ in found} == {"spec.ports[0].targetPort"}
    assert len(found) == 2  # neither an integer nor a string, each said once

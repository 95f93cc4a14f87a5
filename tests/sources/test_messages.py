"""Messages about invalid objects say what a valid value looks like and never echo more
than a short scalar of the input (issue 14: no raw regular expressions, no policy
documents or annotation contents in messages)."""

from __future__ import annotations

from lattice_program.sources.files import load_text
from lattice_program.sources.snapshot import parse


def only_problem(text: str):
    [problem] = parse(load_text(text)).problems
    return problem


def test_a_pattern_mismatch_is_described_in_words():
    problem = only_problem("""\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  gatewayClassName: lattice
  listeners: [{name: Bad_Name, port: 80, protocol: HTTP}]
""")
    assert problem.field == "spec.listeners[0].name"
    assert "DNS subdomain" in problem.message and "'Bad_Name'" in problem.message
    assert "^[" not in problem.message and "pattern" not in problem.message


def test_long_values_are_cut_and_structured_ones_not_shown():
    long_name = "X" * 300
    problem = only_problem(f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r}}
spec:
  hostnames: [{long_name}]
""")
    assert problem.field == "spec.hostnames[0]"
    assert long_name not in problem.message and "(300 characters)" in problem.message

    nested = only_problem("""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules: {secret-looking: {token: abc123}}
""")
    assert "abc123" not in nested.message


def test_annotation_values_are_never_echoed():
    problem = only_problem("""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r
  annotations: {note: 12345}
spec: {}
""")
    assert problem.field == "metadata.annotations.note" and "12345" not in problem.message

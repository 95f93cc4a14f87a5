"""Outputs the engine does not know yet (Pulumi's unknown sentinel, left in the stack's
outputs by a targeted update such as an adoption's import) are never built on."""

from __future__ import annotations

import pulumi.runtime.rpc

from lattice_program.vocabulary.outputs import UNKNOWN, Previous, known


def test_the_sentinel_is_pulumis_own():
    assert UNKNOWN == pulumi.runtime.rpc.UNKNOWN


def test_unknown_outputs_are_dropped_before_the_next_run_reads_them():
    outputs = {"targetGroups": {"a": "tg-1", "b": UNKNOWN},
               "HTTPRoute/ns/new": {"customDomainName": UNKNOWN, "serviceId": UNKNOWN},
               "HTTPRoute/ns/old": {"customDomainName": "shop.example.com"},
               "rulePriorities": {"HTTPRoute/ns/old/http-80": {"r": 10}}, "list": ["x", UNKNOWN]}
    assert known(outputs)["targetGroups"] == {"a": "tg-1"} and known(outputs)["list"] == ["x"]
    previous = Previous.from_outputs(outputs)
    # A route whose service is not created yet has no previous domain (no false "domain changes" warning).
    assert previous.custom_domains == {"HTTPRoute/ns/old": "shop.example.com"}
    assert previous.priorities == {"HTTPRoute/ns/old/http-80": {"r": 10}}

"""Pulumi's mock runtime for tests: recording mocks and a per-test runtime.

``set_mocks`` is process-wide, so a test gets its mocks from a fixture (``runtime`` in
conftest.py), never at module level: a fresh event loop and root stack per test, torn
down afterwards.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional, Tuple

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, reset_options, set_mocks
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import wait_for_rpcs

SERVICE = "aws:vpclattice/service:Service"
LISTENER = "aws:vpclattice/listener:Listener"


class Registration:
    def __init__(self, typ: str, name: str, inputs: Dict[str, Any], custom: bool) -> None:
        self.type = typ
        self.name = name
        self.inputs = inputs
        self.custom = custom
        self.parent_urn = ""
        self.dependencies: Tuple[str, ...] = ()
        self.delete_before_replace = False


class RecordingMocks(Mocks):
    """Answers with readable IDs (``id:<name>``, ``arn:<name>``, ``listener-id:<name>``)
    so a test can tell exactly which resource an input refers to."""

    def __init__(self, *, service_dns: bool = True) -> None:
        self.service_dns = service_dns
        self.registered: Dict[Tuple[str, str], Registration] = {}

    def new_resource(self, args: MockResourceArgs) -> Tuple[Optional[str], dict]:
        self.registered[(args.typ, args.name)] = Registration(
            args.typ, args.name, args.inputs, bool(args.custom)
        )
        if not args.custom:
            return "", {}
        outputs = dict(args.inputs, arn=f"arn:{args.name}")
        if args.typ == LISTENER:
            outputs["listenerId"] = f"listener-id:{args.name}"
        if args.typ == SERVICE and self.service_dns:
            outputs["dnsEntries"] = [
                {"domainName": f"{args.inputs['name']}.lattice.example", "hostedZoneId": "Z1"}
            ]
        return f"id:{args.name}", outputs

    def call(self, args: MockCallArgs) -> Tuple[dict, None]:
        raise AssertionError(f"unexpected provider call {args.token}")

    def of_type(self, typ: str) -> Dict[str, Registration]:
        return {name: reg for (t, name), reg in self.registered.items() if t == typ}

    def get(self, typ: str, name: str) -> Registration:
        return self.registered[(typ, name)]


class RecordingMonitor(MockMonitor):
    """Also keeps what the mock Mocks API does not pass on: parent, dependencies and the
    delete-before-replace option."""

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        registration = self.mocks.registered.get((request.type, request.name))
        if registration is not None:
            registration.parent_urn = request.parent
            registration.dependencies = tuple(request.dependencies)
            registration.delete_before_replace = request.deleteBeforeReplace
        return response


class Runtime:
    def __init__(self, mocks: RecordingMocks, loop: asyncio.AbstractEventLoop) -> None:
        self.mocks = mocks
        self.loop = loop

    def settle(self) -> RecordingMocks:
        """Wait until every registration has reached the mocks."""
        self.loop.run_until_complete(wait_for_rpcs())
        return self.mocks

    def resolve(self, value: Any) -> Any:
        return self.loop.run_until_complete(pulumi.Output.from_input(value).future())


def start(mocks: RecordingMocks) -> Runtime:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    reset_options(project="lattice-test", stack="unit")  # a fresh root stack per test
    set_mocks(
        mocks,
        project="lattice-test",
        stack="unit",
        preview=False,
        monitor=RecordingMonitor(mocks),
    )
    return Runtime(mocks, loop)


def stop(runtime: Runtime) -> None:
    loop = runtime.loop
    loop.run_until_complete(wait_for_rpcs())  # registrations a failed test left queued
    reset_options()
    asyncio.set_event_loop(None)
    loop.close()

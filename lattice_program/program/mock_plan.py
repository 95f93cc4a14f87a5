"""The offline plan: the real program, run under Pulumi's mock runtime, recorded.

Without the Pulumi CLI (or an AWS account) we can still say exactly which resources the
program would declare and with which inputs, because the mock runtime goes through the
same SDK code path as a real run: the components' argument mapping, the pulumi-aws
input types and the serialisation to camelCase wire names.  What the mocks cannot know
(IDs, ARNs, listener IDs of resources not yet created) they answer with tokens, which
are turned back into ``ref:<URN>`` in the recorded inputs, so a plan says "this
listener's service is that Service" rather than showing a fake ID.

Identity.  Each resource is recorded with the URN the engine gives it: stack, project,
the type chain of its parents and its logical name.  A component and its first child may
share a logical name (a Gateway and its ServiceNetwork), never a URN.  The mock
monitor's own URNs keep only the nearest parent's type; the engine qualifies a type
with the whole chain, so the URN is built here, from the declarations.

Isolation.  Pulumi keeps its runtime state (settings, the root stack resource) in
context variables that ``set_mocks`` sets for the calling context, and a test's mocks
are set process-wide on the main thread.  Each ``record_plan`` therefore runs on a
thread of its own, which starts with an empty context, with an event loop of its own
that is closed afterwards: the plan neither sees nor disturbs anyone else's Pulumi
state, and can be called any number of times in one process.

Order.  Registrations reach the mock monitor from a thread pool, in an order that
depends on when each resource's inputs resolve.  The plan is listed in declaration
order instead, captured by a stack transformation (run synchronously in each resource's
constructor), so two runs of one model give identical plans.
"""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, reset_options, set_mocks
from pulumi.runtime.stack import Stack, register_stack_transformation, wait_for_rpcs

from components.specs import LatticeModel
from lattice_program.program.declare import declare

REF_PREFIX = "ref:"

# Outputs, beyond ``id`` and ``arn``, that other resources take as identifiers.
_IDENTIFIER_OUTPUTS = {
    "aws:vpclattice/listener:Listener": "listenerId",
    "aws:vpclattice/listenerRule:ListenerRule": "ruleId",
}
_SERVICE_TYPE = "aws:vpclattice/service:Service"

# A token stands for one output of one resource.  Its delimiters (ASCII record/unit
# separators) cannot occur in Kubernetes or Lattice names, so no real input is mistaken
# for a reference.
_TOKEN = re.compile("\x1e([^\x1f\x1e]*)\x1f([^\x1f\x1e]*)\x1e")


def _token(name: str, output: str) -> str:
    return f"\x1e{name}\x1f{output}\x1e"


@dataclass(frozen=True)
class PlannedResource:
    """One resource the program declares.

    ``urn``: the resource's identity in the stack; ``type``: Pulumi type token
    (``aws:vpclattice/service:Service``, ``lattice:index:Gateway``); ``name``: logical
    name, for people; ``parent``: the parent's URN, ``None`` at the top of the program;
    ``inputs``: as the engine would receive them (camelCase), references to other
    planned resources as ``ref:<URN>``, integral numbers as ``int`` (the wire format
    carries every number as a double).
    """

    urn: str
    type: str
    name: str
    parent: Optional[str]
    inputs: Dict[str, Any]


def record_plan(
    model: LatticeModel, *, project: str = "lattice-gateway", stack: str = "dev"
) -> List[PlannedResource]:
    """Run ``declare(model)`` under mocks and return every resource it registers, in
    declaration order.  Errors of the program (such as ValueError for a bad model)
    propagate unchanged."""
    return record_program(lambda: declare(model), project=project, stack=stack)


def record_program(
    program: Callable[[], Any], *, project: str = "lattice-gateway", stack: str = "dev"
) -> List[PlannedResource]:
    """The same for any Pulumi program function, such as the watch daemon's inline one."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lattice-mock-plan") as pool:
        return pool.submit(_record_on_this_thread, program, project, stack).result()


def _record_on_this_thread(program: Callable[[], Any], project: str, stack: str) -> List[PlannedResource]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Pulumi's mock monitor makes an event loop on each executor thread it runs on
    # (sync_await._ensure_event_loop) and never closes it; left to the garbage collector
    # at interpreter exit, such a loop prints a traceback.  The executor's threads get
    # their loops from us instead, and we close them.
    worker_loops: List[asyncio.AbstractEventLoop] = []
    loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="lattice-mock-rpc",
                                                 initializer=_own_loop_for_this_thread, initargs=(worker_loops,)))
    try:
        recorder = _PlanRecorder(project, stack)
        reset_options(project=project, stack=stack)  # no root stack, fresh settings
        set_mocks(recorder, project=project, stack=stack, preview=False)
        register_stack_transformation(recorder.note_declaration)
        program()
        loop.run_until_complete(wait_for_rpcs())
        return recorder.plan()
    finally:
        _close(loop)
        for worker_loop in worker_loops:
            worker_loop.close()


def _own_loop_for_this_thread(loops: List[asyncio.AbstractEventLoop]) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loops.append(loop)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_default_executor())
    asyncio.set_event_loop(None)
    loop.close()


class _PlanRecorder(Mocks):
    """Mocks that answer with reference tokens and remember what they were given."""

    def __init__(self, project: str = "lattice-gateway", stack: str = "dev") -> None:
        self._urn_prefix = f"urn:pulumi:{stack}::{project}::"
        self._declared: List[Tuple[str, str, str, Optional[str]]] = []  # urn, type, name, parent urn
        self._urns: Dict[Tuple[str, str], str] = {}  # (type, name) -> urn
        self._qualified_types: Dict[int, str] = {}  # id of a declared resource -> its type chain
        self._received: Dict[Tuple[str, str], Dict[str, Any]] = {}
        # new_resource runs on the SDK's executor threads.
        self._lock = threading.Lock()

    def note_declaration(
        self, args: pulumi.ResourceTransformationArgs
    ) -> Optional[pulumi.ResourceTransformationResult]:
        """Stack transformation: called in each resource's constructor, in program order."""
        key = (args.type_, args.name)
        if key in self._urns:
            raise ValueError(
                f"two resources of type {args.type_} are named {args.name!r}; logical "
                "names must be unique per type across the stack (see components._names)"
            )
        parent = args.opts.parent
        parent_chain = None if parent is None or isinstance(parent, Stack) else self._qualified_types[id(parent)]
        qualified = args.type_ if parent_chain is None else f"{parent_chain}${args.type_}"
        self._qualified_types[id(args.resource)] = qualified
        urn = f"{self._urn_prefix}{qualified}::{args.name}"
        parent_urn = None if parent_chain is None else self._urns[(parent._type, parent._name)]
        self._urns[key] = urn
        self._declared.append((urn, args.type_, args.name, parent_urn))
        return None  # leave the resource as declared

    def new_resource(self, args: MockResourceArgs) -> Tuple[Optional[str], Dict[str, Any]]:
        with self._lock:
            self._received[(args.typ, args.name)] = args.inputs
        if not args.custom:
            return "", {}
        urn = self._urns[(args.typ, args.name)]
        outputs = dict(args.inputs)
        outputs["arn"] = _token(urn, "arn")
        identifier_output = _IDENTIFIER_OUTPUTS.get(args.typ)
        if identifier_output is not None:
            outputs[identifier_output] = _token(urn, identifier_output)
        if args.typ == _SERVICE_TYPE:
            # Lattice assigns each service a DNS name; a stand-in keeps the output known.
            outputs["dnsEntries"] = [
                {"domainName": f"{args.inputs.get('name', args.name)}.mock.vpc-lattice-svcs.on.aws"}
            ]
        return _token(urn, "id"), outputs

    def call(self, args: MockCallArgs) -> Tuple[Dict[str, Any], None]:
        raise NotImplementedError(
            f"the program called the provider function {args.token}; the offline plan "
            "has no answer for provider calls"
        )

    def plan(self) -> List[PlannedResource]:
        planned = []
        for urn, type_, name, parent in self._declared:
            inputs = self._received.get((type_, name))
            if inputs is None:
                raise RuntimeError(
                    f"{type_} {name!r} was declared but never registered with the mock "
                    "runtime; the plan would be incomplete"
                )
            planned.append(PlannedResource(urn, type_, name, parent, self._plain(inputs)))
        return planned

    def _plain(self, value: Any) -> Any:
        """Recorded form of an input: tokens to refs, integral floats to ints, keys sorted."""
        if isinstance(value, str):
            if "\x1e" not in value:
                return value
            return _TOKEN.sub(lambda m: REF_PREFIX + m.group(1), value)
        if isinstance(value, dict):
            return {key: self._plain(value[key]) for key in sorted(value)}
        if isinstance(value, list):
            return [self._plain(item) for item in value]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

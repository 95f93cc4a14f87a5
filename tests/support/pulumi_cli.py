"""The ``PulumiCommand`` double: answers like the pulumi CLI for what the Automation API sends.

For unit tests and fault injection where the real CLI (tools/engines.py builds it) cannot
be made to fail on demand: locks, provider errors, a missing summary event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

import grpc
from pulumi.automation import CommandResult, PulumiCommand
from pulumi.automation.errors import create_command_error
from pulumi.runtime.proto import events_pb2, events_pb2_grpc
from semver import VersionInfo

_HISTORY_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # what `pulumi stack history --json` prints
OPERATIONS = ("preview", "up", "destroy", "refresh")
_HISTORY_KIND = {"up": "update", "destroy": "destroy", "refresh": "refresh"}

DIY_LOCK_STDERR = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other "
    "process(es) to end or delete the lock file with `pulumi cancel`.\n"
    "  file:///state/.pulumi/locks/organization/lattice-gateway/dev/3f1c.json: "
    "created by ci@runner (pid 4242) at 2025-01-01T00:00:00Z"
)
SERVICE_NETWORK_ARN = (
    "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-0123456789abcdef0"
)
SERVICE_LOCK_STDERR = "error: [409] Conflict: Another update is currently in progress."


@dataclass
class CliCall:
    args: list[str]
    cwd: str
    env: dict[str, str]


def flag(args: list[str], name: str) -> Optional[str]:
    return args[args.index(name) + 1] if name in args else None


def _now() -> str:
    return datetime.now(timezone.utc).strftime(_HISTORY_TIME_FORMAT)


class FakePulumiCLI(PulumiCommand):
    """Answers like the pulumi CLI for the commands the Automation API sends.

    ``run()`` is the whole seam: the real one would add ``--non-interactive`` and spawn
    the binary; this one records the argv, cwd and env it receives and plays the CLI.
    Unknown commands fail the test, so a change in what the driver sends is noticed.
    """

    def __init__(
        self,
        *,
        version: str = "3.200.0",
        stacks: tuple[str, ...] = (),
        changes: Optional[Mapping[str, Mapping[str, int]]] = None,
        outputs: Optional[Mapping[str, Any]] = None,
        secret_outputs: tuple[str, ...] = (),
        stdout_lines: tuple[str, ...] = (
            "Previewing update (dev):",
            "Resources:",
            "    + 2 to create",
        ),
    ) -> None:
        # PulumiCommand.__init__ would run `pulumi version`; set what it would set.
        self.command = "pulumi"
        self.version = VersionInfo.parse(version)
        self.calls: list[CliCall] = []
        self.stacks: set[str] = set(stacks)
        self.changes = dict(changes or {})
        self.outputs_after_up = dict(outputs or {})
        self.secret_outputs = set(secret_outputs)
        self.stdout_lines = stdout_lines
        self.current_outputs: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.failures: dict[str, CommandResult] = {}  # operation -> how the CLI fails it
        self.emit_summary = True

    # -- the seam ---------------------------------------------------------------------

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output=None,
        on_error=None,
    ) -> CommandResult:
        args = list(args)
        self.calls.append(CliCall(args=args, cwd=cwd, env=dict(additional_env)))
        stack = flag(args, "--stack")
        if args[:2] == ["stack", "select"]:
            return self._require_stack(stack) or self._ok()
        if args[:2] == ["stack", "init"]:
            name = args[2]
            if name in self.stacks:
                return self._fail(f"error: stack '{name}' already exists")
            self.stacks.add(name)
            return self._ok(f"Created stack '{name}'")
        if args[:3] == ["plugin", "install", "resource"]:
            return self._ok(f"[resource plugin {args[3]}-{args[4]}] installing")
        if args[:2] == ["stack", "output"]:
            return self._require_stack(stack) or self._stack_output(
                stack, show_secrets="--show-secrets" in args
            )
        if args[:2] == ["stack", "history"]:
            return self._require_stack(stack) or self._ok(json.dumps(self.history.get(stack, [])))
        if args[0] in OPERATIONS:
            return self._require_stack(stack) or self._operation(args, stack, on_output, on_error)
        raise AssertionError(f"FakePulumiCLI got an unexpected command: {args}")

    # -- answers ----------------------------------------------------------------------

    def _operation(self, args, stack, on_output, on_error) -> CommandResult:
        operation = args[0]
        event_log = flag(args, "--event-log")
        if operation in self.failures:
            failure = self.failures[operation]
            if event_log:
                # The engine ran and failed: it still ends the event stream.
                self._send_engine_events(
                    event_log, [{"preludeEvent": {"config": {}}}, {"cancelEvent": {}}]
                )
            for line in failure.stderr.splitlines():
                if on_error:
                    on_error(line)
            raise create_command_error(failure)
        changes = self.changes.get(operation, {"create": 2, "same": 1})
        events: list[dict[str, Any]] = [{"preludeEvent": {"config": {}}}]
        if self.emit_summary:
            events.append(
                {
                    "summaryEvent": {
                        "maybeCorrupt": False,
                        "durationSeconds": 1,
                        "resourceChanges": changes,
                        "PolicyPacks": {},
                    }
                }
            )
        events.append({"cancelEvent": {}})
        if event_log:
            self._send_engine_events(event_log, events)
        for line in self.stdout_lines:
            if on_output:
                on_output(line)
        if operation != "preview":
            self._record_update(stack, operation, changes)
        return self._ok("\n".join(self.stdout_lines))

    def _record_update(self, stack: str, operation: str, changes: Mapping[str, int]) -> None:
        if operation == "up":
            self.current_outputs[stack] = dict(self.outputs_after_up)
        elif operation == "destroy":
            self.current_outputs[stack] = {}
        entries = self.history.setdefault(stack, [])
        entries.insert(
            0,
            {
                "kind": _HISTORY_KIND[operation],
                "startTime": _now(),
                "endTime": _now(),
                "message": "",
                "environment": {"exec.kind": "auto.local"},
                "config": {},
                "result": "succeeded",
                "version": len(entries) + 1,
                "resourceChanges": dict(changes),
            },
        )

    def _stack_output(self, stack: str, *, show_secrets: bool) -> CommandResult:
        outputs = self.current_outputs.get(stack, {})
        shown = {
            name: value if show_secrets or name not in self.secret_outputs else "[secret]"
            for name, value in outputs.items()
        }
        return self._ok(json.dumps(shown))

    @staticmethod
    def _send_engine_events(event_log: str, events: list[dict[str, Any]]) -> None:
        """Deliver engine events the way the CLI does for this --event-log value."""
        stamped = [
            {"sequence": sequence, "timestamp": 1700000000 + sequence, **event}
            for sequence, event in enumerate(events)
        ]
        if event_log.startswith("tcp://"):
            with grpc.insecure_channel(event_log.removeprefix("tcp://")) as channel:
                stub = events_pb2_grpc.EventsStub(channel)
                stub.StreamEvents(
                    iter([events_pb2.EventRequest(event=json.dumps(event)) for event in stamped])
                )
            return
        with open(event_log, "a", encoding="utf-8") as log:
            for event in stamped:
                log.write(json.dumps(event) + "\n")

    def _require_stack(self, stack: Optional[str]) -> Optional[CommandResult]:
        if stack not in self.stacks:
            self._fail(f"error: no stack named '{stack}' found")
        return None

    @staticmethod
    def _ok(stdout: str = "") -> CommandResult:
        return CommandResult(stdout=stdout, stderr="", code=0)

    @staticmethod
    def _fail(stderr: str, *, code: int = 255, stdout: str = "") -> CommandResult:
        raise create_command_error(CommandResult(stdout=stdout, stderr=stderr, code=code))

    # -- what tests read --------------------------------------------------------------

    def commands(self) -> list[list[str]]:
        """Recorded argv with the per-run event-log path and client port made stable."""
        return [
            [_stable_arg(arg, call.args, i) for i, arg in enumerate(call.args)]
            for call in self.calls
        ]


def _stable_arg(arg: str, args: list[str], index: int) -> str:
    if index > 0 and args[index - 1] == "--event-log":
        return "<event-log>"
    return re.sub(r"^--client=127\.0\.0\.1:\d+$", "--client=<port>", arg)

"""After every apply: is what the stack declared serving?  Each Lattice service ACTIVE,
its DNS name resolvable where this machine can resolve it, each target group with
healthy targets (ListTargets), and the stack's probe command, when it has one.

A release is "verified in X" only after every check passed; a check that cannot be made
here (a DNS name this machine cannot resolve) is reported as skipped, never as passed.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
from dataclasses import asdict, dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional

from lattice_program.vocabulary.outputs import TARGET_GROUPS

PROBE_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Check:
    subject: str  # "service HTTPRoute/shop/checkout", "target group ..."
    result: str  # "passed", "failed", "skipped"
    detail: str


@dataclass(frozen=True)
class Verification:
    checks: List[Check]

    @property
    def passed(self) -> bool:
        return all(check.result != "failed" for check in self.checks)

    def plain(self) -> List[Dict[str, str]]:
        return [asdict(check) for check in self.checks]


def _resolvable(name: str) -> bool:
    try:
        socket.getaddrinfo(name, 443)
    except (socket.gaierror, UnicodeError, OSError):
        return False
    return True


def verify_stack(outputs: Mapping[str, Any], client: Any, *, probe_command: Optional[str] = None,
                 resolve: Callable[[str], bool] = _resolvable,
                 run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> Verification:
    """Check the services and target groups the stack's outputs name."""
    from botocore.exceptions import BotoCoreError, ClientError

    checks: List[Check] = []
    services = {key: value for key, value in outputs.items()
                if isinstance(value, Mapping) and value.get("serviceId")}
    for key, service in sorted(services.items()):
        subject = f"service {key}"
        try:
            answer = client.get_service(serviceIdentifier=service["serviceId"])
        except (BotoCoreError, ClientError) as error:
            checks.append(Check(subject, "failed", f"GetService failed: {error}"))
            continue
        status = answer.get("status")
        checks.append(Check(subject, "passed" if status == "ACTIVE" else "failed", f"status {status}"))
        dns = (answer.get("dnsEntry") or {}).get("domainName") or service.get("dnsName")
        if dns:
            checks.append(Check(f"{subject} dns", "passed", f"{dns} resolves") if resolve(dns) else
                          Check(f"{subject} dns", "skipped", f"{dns} does not resolve from this machine"))
        if probe_command and dns:
            checks.append(_probe(subject, probe_command, dns, key, run))
    groups = outputs.get(TARGET_GROUPS) or {}
    for key, group_id in sorted(groups.items()):
        checks.append(_target_group(client, f"target group {key}", group_id))
    if not checks:
        checks.append(Check("stack", "failed", "the stack's outputs name no service and no target group: "
                            "nothing to verify (was the stack applied?)"))
    return Verification(checks)


def _target_group(client: Any, subject: str, group_id: str) -> Check:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        statuses = [t.get("status") for page in client.get_paginator("list_targets").paginate(
            targetGroupIdentifier=group_id) for t in page.get("items", [])]
        if not statuses:
            return Check(subject, "failed", "no targets registered (run `latticectl targets sync`)")
        healthy = statuses.count("HEALTHY")
        if healthy:
            return Check(subject, "passed", f"{healthy} of {len(statuses)} target(s) healthy")
        if set(statuses) == {"UNAVAILABLE"}:
            # UNAVAILABLE is what Lattice says of every target when health checks are off.
            config = client.get_target_group(targetGroupIdentifier=group_id).get("config") or {}
            if not (config.get("healthCheck") or {}).get("enabled", True):
                return Check(subject, "passed", f"{len(statuses)} target(s), health checks disabled")
        return Check(subject, "failed", "no healthy target: " + ", ".join(sorted(set(map(str, statuses)))))
    except (BotoCoreError, ClientError) as error:
        return Check(subject, "failed", f"ListTargets failed: {error}")


def _probe(subject: str, command: str, dns: str, key: str, run: Callable[..., Any]) -> Check:
    env = {**os.environ, "LATTICE_SERVICE_DNS": dns, "LATTICE_ROUTE": key}
    try:
        done = run(shlex.split(command), env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS)
    except (OSError, subprocess.SubprocessError) as error:
        return Check(f"{subject} probe", "failed", f"{command!r} could not run: {error}")
    tail = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or [""]
    return Check(f"{subject} probe", "passed" if done.returncode == 0 else "failed",
                 f"exit {done.returncode} {tail[0]}".strip())

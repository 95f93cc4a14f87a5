"""A project on disk (Pulumi.yaml, stacks, manifests) and an engine double for promotions.

The double keeps, per stack, the digest of the objects it last applied: a preview shows
an update of every object when the objects differ and nothing when they are the same,
so "promoting the same release twice changes nothing" is the double's behaviour, not an
assumption of the test.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

from lattice_program.engine.automation import PulumiCommandFailed
from lattice_program.promote.canonical import snapshot_digest
from lattice_program.promote.preview import Preview, Step

ROOT = Path(__file__).resolve().parents[2]
DEV_VPC = "vpc-0a1b2c3d4e5f60789"
STAGING_VPC = "vpc-05a6b7c8d9e0f1234"
SN_TYPE = "aws:vpclattice/serviceNetwork:ServiceNetwork"
SERVICE_TYPE = "aws:vpclattice/service:Service"

DEV = f"""# dev: manifests in, releases recorded on every up
config:
  aws:region: us-west-2
  lattice-gateway:vpcId: {DEV_VPC}
  lattice-gateway:clusterName: dev-eks
  lattice-gateway:sources: [manifests]
"""

STAGING = f"""# staging: the release promoted from dev
config:
  aws:region: us-west-2
  lattice-gateway:clusters:
    - name: staging-eks
      vpcId: {STAGING_VPC}
  lattice-gateway:promotion:
    from: dev
    gates:
      soakTime: 30m   # soak in dev first
    rewrite:
      vpcs:
        {DEV_VPC}: {STAGING_VPC}
      domains:
        dev.example.com: staging.example.com
"""

PROD = f"""# prod: protected
config:
  aws:region: us-west-2
  lattice-gateway:vpcId: vpc-0e1a2b3c4d5e6f701
  lattice-gateway:clusterName: east
  lattice-gateway:protect: true
  lattice-gateway:promotion:
    from: staging
    gates:
      requireVerification: false
    rewrite:
      vpcs:
        {DEV_VPC}: vpc-0e1a2b3c4d5e6f701
"""


def make_project(root: Path, *, hostname: str = "shop.dev.example.com") -> Path:
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    (root / "stacks" / "Pulumi.dev.yaml").write_text(DEV)
    (root / "stacks" / "Pulumi.staging.yaml").write_text(STAGING)
    (root / "stacks" / "Pulumi.prod.yaml").write_text(PROD)
    shutil.copytree(ROOT / "examples" / "checkout-ab", root / "manifests")
    set_hostname(root, hostname)
    return root


def set_hostname(root: Path, hostname: str) -> None:
    """Give the example's HTTPRoute a hostname (an environment-specific value to rewrite)."""
    import yaml

    for path in sorted((root / "manifests").glob("*.yaml")):
        documents = list(yaml.safe_load_all(path.read_text()))
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == "HTTPRoute":
                document.setdefault("spec", {})["hostnames"] = [hostname]
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))


@dataclass
class FakeEngine:
    """Answers a promotion's questions; ``applied`` is what each stack holds (a digest)."""

    applied: Dict[str, str] = field(default_factory=dict)
    last_update_ok: Dict[str, bool] = field(default_factory=dict)
    drifted: Dict[str, int] = field(default_factory=dict)
    failing_up: set = field(default_factory=set)
    destructive: Dict[str, List[Step]] = field(default_factory=dict)  # extra planned steps per stack
    outputs_of: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    calls: List[tuple] = field(default_factory=list)
    seen_objects: Dict[str, Any] = field(default_factory=dict)

    def last_update_succeeded(self, stack: str) -> bool:
        self.calls.append(("last_update_succeeded", stack))
        return self.last_update_ok.get(stack, True)

    def outputs(self, stack: str) -> Dict[str, Any]:
        return self.outputs_of.get(stack, {})

    def preview(self, stack, objects, settings, *, refresh=False) -> Preview:
        self.calls.append(("preview", stack, refresh))
        self.seen_objects[stack] = objects
        preview = Preview()
        if refresh:
            count = self.drifted.get(stack, 0)
            preview.summary = {"update": count} if count else {"same": 5}
            return preview
        if self.applied.get(stack) != snapshot_digest(objects):
            for raw in (raw for raws in objects.values() for raw in raws):
                body = raw.body
                urn = f"urn:pulumi:{stack}::lattice-gateway::lattice:index:{body['kind']}$" \
                      f"{SERVICE_TYPE}::{body['kind']}/{body['metadata'].get('namespace', 'default')}/{body['metadata']['name']}"
                _emit(preview, urn, SERVICE_TYPE, "update")
        for step in self.destructive.get(stack, []):
            _emit(preview, step.urn, step.type, step.op)
        preview.summary = {"update": len(preview.steps)} if preview.steps else {"same": 5}
        return preview

    def up(self, stack, objects, settings) -> Dict[str, int]:
        self.calls.append(("up", stack))
        if stack in self.failing_up:
            raise PulumiCommandFailed(command="up", stack=stack, cli_exit_code=255,
                                      stderr_tail="error: creating service: AccessDeniedException")
        self.applied[stack] = snapshot_digest(objects)
        self.seen_objects[stack] = objects
        return {"update": 1, "same": 4}

    def ups(self, stack: Optional[str] = None) -> int:
        return sum(1 for call in self.calls if call[0] == "up" and (stack is None or call[1] == stack))


def _emit(preview: Preview, urn: str, type_: str, op: str) -> None:
    metadata = SimpleNamespace(urn=urn, type=type_, op=op)
    preview.on_event(SimpleNamespace(resource_pre_event=SimpleNamespace(metadata=metadata)))

"""Plan documents for the graph tests, made by the command people run (`latticectl plan`),
and manifests with routes Lattice cannot fully honour."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import List, Optional

from typer.testing import CliRunner

from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(path for path in (ROOT / "examples").iterdir() if path.is_dir())
runner = CliRunner()

# Three routes Lattice cannot fully honour beside the checkout example: a regular
# expression (refused), a missing backend (refused in part), a name a manifest should
# never have, full of markup (refused, and a test of every renderer's escaping).
HOSTILE_NAME = 'evil<script>alert(1)</script>"]\\N&amp;'
REFUSED_ROUTES = f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: regexy, namespace: shop}}
spec:
  parentRefs: [{{name: storefront}}]
  rules:
  - matches:
    - path: {{type: RegularExpression, value: "/a.*"}}
    backendRefs: [{{name: checkout-v1, port: 80}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: lost, namespace: shop}}
spec:
  parentRefs: [{{name: storefront}}]
  rules:
  - backendRefs: [{{name: nothere, port: 80}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {json.dumps(HOSTILE_NAME)}, namespace: shop}}
spec:
  parentRefs: [{{name: storefront}}]
  rules:
  - backendRefs: [{{name: checkout-v1, port: 80}}]
"""


def stack_for(example: Path) -> Optional[str]:
    """The stack whose settings read this example (two-cluster is planned per cluster)."""
    for settings in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        if f"examples/{example.name}/" in settings.read_text():
            return settings.name[len("Pulumi."):-len(".yaml")]
    return None


def example_args(example: Path) -> List[str]:
    stack = stack_for(example)
    return ["--stack", stack] if stack else [str(example)]


def plan_of(args: List[str]) -> dict:
    result = runner.invoke(app, ["plan", *args, "--output", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_refused_example(tmp_path: Path) -> Path:
    """checkout-ab plus the three refused routes, in ``tmp_path``."""
    for source in (ROOT / "examples" / "checkout-ab").glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "50-refused.yaml").write_text(REFUSED_ROUTES)
    return tmp_path

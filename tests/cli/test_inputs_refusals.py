"""What a command is told to read, refused before anything is read: PATHs beside
--context, PATHs for a stack of several clusters, a cluster with nothing to read, a
Pulumi.yaml that is not YAML; and the stack's AWS region, read where it can be."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.inputs import aws_region
from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = ROOT / "examples" / "checkout-ab"
runner = CliRunner()


def project(tmp_path: Path, settings: str = "config: {}\n", project_file: str | None = None) -> Path:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text(project_file or "name: platform\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(settings)
    return tmp_path


def refusal(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""  # nothing was planned
    return result.stderr.strip()


def test_paths_and_a_context_together_are_refused():
    assert refusal("plan", str(CHECKOUT), "--context", "east") == (
        "latticectl: give either PATH... or --context, not both")


def test_paths_for_a_stack_of_several_clusters_are_refused():
    assert refusal("plan", "--stack", "prod", str(CHECKOUT)) == (
        "latticectl: the stack has clusters east, west: their sources and contexts come from the stack settings, "
        "not from PATH or --context")


def test_a_cluster_with_nothing_to_read_says_what_to_give(tmp_path):
    root = project(tmp_path)

    assert refusal("plan", "--stack", "dev", "--project-dir", str(root)) == (
        "latticectl: no input for cluster default: name YAML files or directories, '-' for standard input, "
        "or --context (or set its sources in the stack settings)")


def test_a_project_file_that_is_not_yaml_is_refused_by_name(tmp_path):
    root = project(tmp_path, project_file="name: [platform\n")

    message = refusal("plan", "--stack", "dev", "--project-dir", str(root))

    assert message.startswith(f"latticectl: {root / 'Pulumi.yaml'} is not valid YAML: ")


def test_the_region_is_the_stacks_aws_region(tmp_path):
    root = project(tmp_path, "config:\n  aws:region: eu-west-1\n  lattice-gateway:vpcId: vpc-0a1b2c3d\n")

    assert aws_region(root, "dev") == "eu-west-1"


def test_a_region_that_cannot_be_read_is_left_to_boto3(tmp_path):
    root = project(tmp_path, "config:\n  aws:region: [eu-west-1\n")
    (root / "stacks" / "Pulumi.typed.yaml").write_text("config:\n  aws:region: 5\n")

    assert aws_region(root, "dev") is None  # malformed YAML
    assert aws_region(root, "typed") is None  # not a region name
    assert aws_region(root, "absent") is None  # no settings file


def test_a_pinned_release_that_is_not_in_the_store_is_refused(tmp_path):
    digest = "sha256:" + "0" * 64
    root = project(tmp_path, "config:\n  lattice-gateway:vpcId: vpc-0a1b2c3d\n  lattice-gateway:release:\n"
                             f"    digest: '{digest}'\n    from: staging\n")

    message = refusal("plan", "--stack", "dev", "--project-dir", str(root))  # the manifests are not read instead

    assert message.startswith(f"latticectl: stack dev: its pinned release cannot be read: release {digest} was "
                              "never recorded in stack dev (")
    assert message.endswith("`latticectl history dev` lists its releases")

"""The tree says what each resource is for: a service's custom domain, a rule's method,
where access logs go, the DNS record ExternalDNS publishes, a listener that was refused;
and a plan without problems prints no problems section."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from tests.support.world import gateway, gateway_class, world

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
VPC = "vpc-0a1b2c3d4e5f60789"
runner = CliRunner()


def tree(*args: str) -> str:
    result = runner.invoke(app, ["plan", *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_services_show_their_domain_and_rules_their_method():
    out = tree(str(EXAMPLES / "storefront-multi"), "--vpc-id", VPC)

    assert [line.split("Service ", 1)[1].split(" ", 1)[1] for line in out.splitlines()
            if "── Service catalog-" in line] == ["domain catalog.storefront.example.com"]
    assert ": GET exact /products/stock → forward 1 to stock-api-inventory-8080-" in out
    assert ": POST prefix /reviews/ → forward 1 to reviews-stable-reviews-80-" in out


def test_access_logs_show_their_destination_and_a_clean_plan_has_no_problems_section():
    out = tree(str(EXAMPLES / "iam-auth-network"), "--vpc-id", VPC)

    assert "AccessLogSubscription → arn:aws:logs:us-west-2:111122223333:log-group:/vpc-lattice/corp-internal" in out
    assert "\nproblems\n" not in out
    assert out.rstrip().endswith("0 error(s), 0 warning(s)")


def test_a_published_domain_shows_its_dns_record(tmp_path):
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(
        f"config:\n  lattice-gateway:vpcId: {VPC}\n  lattice-gateway:externalDns: true\n"
        f"  lattice-gateway:sources: [{EXAMPLES / 'https-custom-domain'}]\n")

    out = tree("--stack", "dev", "--project-dir", str(tmp_path))

    assert "DNSEndpoint invoices.billing.example.com CNAME → the service's DNS name" in out


def test_a_refused_listener_shows_its_false_condition_under_it(tmp_path):
    manifest = tmp_path / "gateway.yaml"
    manifest.write_text(world(gateway_class(), gateway("edge", listeners=[("http", 80, "HTTP"), ("dns", 53, "UDP")])))

    lines = tree(str(manifest), "--vpc-id", VPC).splitlines()

    at = next(i for i, line in enumerate(lines) if line.strip().startswith("listener dns:"))
    assert lines[at].strip() == "listener dns: 0 route(s), no route kinds"
    assert lines[at + 1].strip() == "Accepted=False UnsupportedProtocol: VPC Lattice has no listener of this protocol"
    assert lines[at - 1].strip() == "listener http: 0 route(s), HTTPRoute"  # an accepted listener: no condition line

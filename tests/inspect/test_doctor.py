"""`latticectl doctor` with each check failing in turn: the pulumi CLI and plugin (a
scripted binary, and the real CLI where built), AWS region and identity and the Lattice
quotas (botocore Stubber), the stack settings, and the run as a whole (exit codes, JSON)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from cli.main import app
from components.specs import (FixedResponseAction, GatewayClassSpec, HttpMatchSpec, LatticeModel, ListenerSpec,
                              RouteSpec, RuleSpec, ServiceNetworkAssociationSpec, ServiceSpec)
from lattice_program.inspect.checks.aws_identity import check_aws
from lattice_program.inspect.checks.pulumi_cli import check_pulumi
from lattice_program.inspect.checks.quotas import check_quotas, plan_needs
from lattice_program.inspect.checks.stack_settings import check_stack_settings
from lattice_program.inspect.doctor import CheckResult, Status, healthy, passed, report_document, run_checks
from lattice_program.inspect.doctor_run import DoctorRequest, diagnose
from lattice_program.vocabulary.settings import StackSettings

from tests.support.offline import no_ambient_aws

REGION = "us-west-2"
ARN = "arn:aws:iam::111122223333:role/platform"
SECRET = "wJalrXUtnFEMI-not-a-real-secret"
AWS_VERSION = "v7.51.1"


@pytest.fixture
def isolated_aws(monkeypatch, tmp_path):
    """No ambient AWS configuration: no env credentials, no files, no instance metadata."""
    no_ambient_aws(monkeypatch, tmp_path)


def _session(with_credentials=True, region=REGION):
    if with_credentials:
        return boto3.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key=SECRET,
                             region_name=region)
    return boto3.Session(region_name=region)


class Clients:
    """One stubbed client per service, handed out by the check's client factory."""

    def __init__(self, session):
        self.session = session
        self.clients = {}
        self.stubbers = {}

    def stub(self, service):
        client = self.session.client(service, region_name=REGION)
        self.clients[service] = client
        self.stubbers[service] = Stubber(client)
        self.stubbers[service].activate()
        return self.stubbers[service]

    def __call__(self, service, region):
        assert region == REGION
        return self.clients[service]


# -- pulumi --------------------------------------------------------------------------------------

def _fake_pulumi(tmp_path: Path, *, version_rc=0, plugins=()) -> str:
    """``plugins``: versions of the aws plugin, or ``name:version`` for another."""
    named = [p.split(":", 1) if ":" in p else ("aws", p) for p in plugins]
    listing = json.dumps([{"name": name, "kind": "resource", "version": version} for name, version in named])
    script = tmp_path / "pulumi"
    script.write_text("#!/bin/sh\n"
                      f'if [ "$1" = version ]; then echo v3.274.1; exit {version_rc}; fi\n'
                      f"if [ \"$1\" = plugin ]; then echo '{listing}'; exit 0; fi\n"
                      "exit 9\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_pulumi_and_its_plugin_pass_at_the_package_version(tmp_path):
    results = check_pulumi(_fake_pulumi(tmp_path, plugins=["7.0.0", AWS_VERSION.lstrip("v")]),
                           package_versions={"aws": AWS_VERSION})
    assert [r.status for r in results] == [Status.PASS, Status.PASS]
    assert "v3.274.1" in results[0].detail


def test_a_missing_pulumi_fails_with_the_install_hint_and_skips_the_plugin(tmp_path):
    results = check_pulumi(str(tmp_path / "nowhere" / "pulumi"), package_versions={"aws": AWS_VERSION})
    assert [r.status for r in results] == [Status.FAIL, Status.SKIP]
    assert "get.pulumi.com" in results[0].fix


def test_a_pulumi_that_does_not_run_fails(tmp_path):
    results = check_pulumi(_fake_pulumi(tmp_path, version_rc=1), package_versions={"aws": AWS_VERSION})
    assert [r.status for r in results] == [Status.FAIL, Status.SKIP]
    assert "exited 1" in results[0].detail


def test_the_wrong_aws_plugin_fails_with_the_install_command(tmp_path):
    results = check_pulumi(_fake_pulumi(tmp_path, plugins=["6.0.0"]), package_versions={"aws": AWS_VERSION})
    assert results[1].status is Status.FAIL
    assert "installed: 6.0.0" in results[1].detail
    assert f"pulumi plugin install resource aws {AWS_VERSION}" in results[1].fix


def test_a_stack_that_writes_kubernetes_objects_needs_the_kubernetes_plugin_too(tmp_path):
    from lattice_program.inspect.doctor_run import plugins_needed

    binary = _fake_pulumi(tmp_path, plugins=[AWS_VERSION, "kubernetes:4.0.0"])
    plugins = plugins_needed(StackSettings.model_validate({"install": {"gatewayApiCrds": True}}))
    results = check_pulumi(binary, plugins=plugins, package_versions={"aws": AWS_VERSION, "kubernetes": "v4.34.2"})
    assert plugins_needed(StackSettings()) == ("aws",)
    assert [(r.name, r.status) for r in results] == [("pulumi CLI", Status.PASS), ("pulumi aws plugin", Status.PASS),
                                                     ("pulumi kubernetes plugin", Status.FAIL)]
    assert "pulumi plugin install resource kubernetes v4.34.2" in results[2].fix


@pytest.mark.needs_pulumi_cli
def test_the_real_pulumi_and_the_installed_plugin_pass(real_pulumi):
    results = check_pulumi(real_pulumi.pulumi)
    assert [r.status for r in results] == [Status.PASS, Status.PASS], results
    assert "3.274.1" in results[0].detail


# -- AWS -----------------------------------------------------------------------------------------

def test_identity_shows_account_and_arn_and_never_the_secret(isolated_aws):
    clients = Clients(_session())
    clients.stub("sts").add_response("get_caller_identity", {"Account": "111122223333", "Arn": ARN, "UserId": "AID"})
    region, identity = check_aws(lambda: clients.session, None, "dev", clients)
    assert (region.status, identity.status) == (Status.PASS, Status.PASS)
    assert "111122223333" in identity.detail and ARN in identity.detail
    assert SECRET not in json.dumps(report_document([region, identity]))
    clients.stubbers["sts"].assert_no_pending_responses()


def test_refused_credentials_fail_with_the_error_code(isolated_aws):
    clients = Clients(_session())
    clients.stub("sts").add_client_error("get_caller_identity", "ExpiredToken", "The security token has expired")
    _, identity = check_aws(lambda: clients.session, REGION, "dev", clients)
    assert identity.status is Status.FAIL
    assert "ExpiredToken" in identity.detail and "aws sso login" in identity.fix


def test_no_credentials_fail_without_asking_sts(isolated_aws):
    clients = Clients(_session(with_credentials=False))
    clients.stub("sts")  # no response queued: a call would raise
    _, identity = check_aws(lambda: clients.session, REGION, "dev", clients)
    assert identity.status is Status.FAIL and "no AWS credentials" in identity.detail


def test_no_region_fails_naming_the_stack_setting_and_skips_identity(isolated_aws):
    clients = Clients(_session(region=None))
    region, identity = check_aws(lambda: clients.session, None, "prod", clients)
    assert (region.status, identity.status) == (Status.FAIL, Status.SKIP)
    assert "pulumi config set aws:region us-west-2 --stack prod" in region.fix


def test_a_profile_that_does_not_exist_is_a_failed_check_not_a_traceback(isolated_aws, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "nope")
    region, identity = check_aws(boto3.Session, None, "dev", lambda service, region: pytest.fail("no client"))
    assert (region.status, identity.status) == (Status.FAIL, Status.SKIP)
    assert "(nope) could not be found" in region.detail and "AWS_PROFILE" in region.fix


# -- quotas ----------------------------------------------------------------------------------------

def _route(rules: int, listeners: int = 1, gateway: str = "Gateway/infra/main", name: str = "cart") -> RouteSpec:
    fixed = FixedResponseAction(404)
    return RouteSpec(
        key=f"HTTPRoute/shop/{name}", kind="HTTPRoute", service=ServiceSpec(name=f"{name}-shop"),
        associations=(ServiceNetworkAssociationSpec(gateway=gateway),),
        listeners=tuple(ListenerSpec(key=f"http-{80 + i}", name=f"http-{80 + i}", port=80 + i, protocol="HTTP",
                                     default_action=fixed,
                                     rules=tuple(RuleSpec(key=f"r{n}", name=f"r{n}", priority=10 * (n + 1),
                                                          match=HttpMatchSpec(), action=fixed) for n in range(rules)))
                        for i in range(listeners)))


def _model(*routes: RouteSpec) -> LatticeModel:
    return LatticeModel(gateway_classes=(GatewayClassSpec(key="amazon-vpc-lattice", controller_name="x",
                                                          routes=routes),))


def _quota_pages(clients, applied):
    stubber = clients.stub("service-quotas")
    defaults = [{"QuotaName": "Listeners per service", "QuotaCode": "L-D64E952E", "Value": 2.0},
                {"QuotaName": "Rules per listener", "QuotaCode": "L-RULES", "Value": 10.0},
                {"QuotaName": "Service associations per service network", "QuotaCode": "L-SNSA", "Value": 500.0},
                {"QuotaName": "Services per Region", "QuotaCode": "L-SVC", "Value": 2000.0}]
    stubber.add_response("list_aws_default_service_quotas", {"Quotas": defaults}, {"ServiceCode": "vpc-lattice"})
    stubber.add_response("list_service_quotas", {"Quotas": applied}, {"ServiceCode": "vpc-lattice"})
    return stubber


def test_plan_needs_name_the_busiest_object():
    needs = {need.quota.name: need for need in plan_needs(_model(_route(3), _route(7, name="pay")))}
    assert (needs["Rules per listener"].count, needs["Rules per listener"].where) == \
        (7, "HTTPRoute/shop/pay listener http-80")
    assert needs["Service associations per service network"].count == 2
    assert needs["Services per Region"].count == 2


def test_quotas_pass_when_the_plan_fits_applied_values_winning_over_defaults(isolated_aws):
    clients = Clients(_session())
    stubber = _quota_pages(clients, [{"QuotaName": "Rules per listener", "QuotaCode": "L-RULES", "Value": 50.0}])
    results = check_quotas(clients, REGION, StackSettings(rules_per_listener=40), _model(_route(30)))
    by_name = {r.name: r for r in results}
    assert by_name["Lattice quotas: Rules per listener"].status is Status.PASS
    assert "of 50" in by_name["Lattice quotas: Rules per listener"].detail
    assert by_name["Lattice quotas: settings"].status is Status.PASS
    assert "rulesPerListener 40 of 50" in by_name["Lattice quotas: settings"].detail
    assert healthy(results)
    stubber.assert_no_pending_responses()


def test_a_plan_over_a_quota_fails_naming_the_object(isolated_aws):
    clients = Clients(_session())
    _quota_pages(clients, [])
    results = check_quotas(clients, REGION, StackSettings(), _model(_route(2, listeners=3)))
    over = [r for r in results if r.status is Status.FAIL]
    assert [r.name for r in over] == ["Lattice quotas: Listeners per service"]
    assert "HTTPRoute/shop/cart needs 3" in over[0].detail and "Service Quotas console" in over[0].fix


def test_settings_that_assume_more_than_the_account_allows_fail(isolated_aws):
    clients = Clients(_session())
    _quota_pages(clients, [])
    results = check_quotas(clients, REGION, StackSettings(rules_per_listener=11), None, "no plan: no sources")
    failed = [r for r in results if r.status is Status.FAIL]
    assert [r.name for r in failed] == ["Lattice quotas: lattice-gateway:rulesPerListener"]
    assert "lattice-gateway:rulesPerListener is 11" in failed[0].detail
    assert "set lattice-gateway:rulesPerListener: 10" in failed[0].fix
    assert any(r.status is Status.SKIP and "no sources" in r.detail for r in results)


def test_service_quotas_refused_fails_with_the_permission_to_grant(isolated_aws):
    clients = Clients(_session())
    clients.stub("service-quotas").add_client_error("list_aws_default_service_quotas", "AccessDeniedException", "no")
    [result] = check_quotas(clients, REGION, StackSettings(), _model(_route(1)))
    assert result.status is Status.FAIL and "servicequotas:ListServiceQuotas" in result.fix


# -- stack settings ------------------------------------------------------------------------------

def _project(tmp_path: Path, stack_yaml: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(stack_yaml)
    return tmp_path


def test_valid_settings_pass(tmp_path):
    settings, result = check_stack_settings(_project(tmp_path, "config:\n  lattice-gateway:vpcId: vpc-0a1b2c3d\n"), "dev")
    assert result.status is Status.PASS and settings.vpc_id == "vpc-0a1b2c3d"


def test_invalid_settings_fail_naming_the_key(tmp_path):
    settings, result = check_stack_settings(_project(tmp_path, "config:\n  lattice-gateway:vpcId: vpc-nope\n"), "dev")
    assert settings is None and result.status is Status.FAIL
    assert "lattice-gateway:vpcId" in result.detail


def test_settings_without_a_vpc_fail(tmp_path):
    _, result = check_stack_settings(_project(tmp_path, "config:\n  lattice-gateway:clusterName: a\n"), "dev")
    assert result.status is Status.FAIL and "lattice-gateway:vpcId" in result.fix


def test_a_stack_without_a_settings_file_fails_and_no_stack_skips(tmp_path):
    _, missing = check_stack_settings(_project(tmp_path, ""), "prod")
    _, none = check_stack_settings(tmp_path, None)
    assert (missing.status, none.status) == (Status.FAIL, Status.SKIP)


# -- the run -------------------------------------------------------------------------------------

def test_a_check_that_raises_is_one_failure_and_the_others_still_run():
    def broken():
        raise KeyError("surprise")
    results = run_checks([("broken", broken), ("fine", lambda: [passed("fine", "ok")])])
    assert [(r.name, r.status) for r in results] == [("broken", Status.FAIL), ("fine", Status.PASS)]
    assert "KeyError" in results[0].detail and not healthy(results)


def test_warnings_and_skips_do_not_fail_the_run():
    assert healthy([CheckResult("a", Status.WARN, "w", "f"), CheckResult("b", Status.SKIP, "s")])
    assert not healthy([CheckResult("a", Status.FAIL, "x", "f")])


def test_diagnose_runs_every_check_with_the_stack_settings(tmp_path, isolated_aws):
    project = _project(tmp_path, "config:\n  lattice-gateway:vpcId: vpc-0a1b2c3d\n"
                                 "  lattice-gateway:rulesPerListener: 20\n")
    clients = Clients(_session())
    clients.stub("sts").add_response("get_caller_identity", {"Account": "111122223333", "Arn": ARN, "UserId": "A"})
    _quota_pages(clients, [])
    seen = {}

    def contexts(settings):
        seen["contexts"] = settings.rules_per_listener
        return {}

    results = diagnose(DoctorRequest(
        project_dir=project, stack="dev", session=lambda: clients.session, make_client=clients,
        connect=lambda ctx: pytest.fail("no cluster to connect to"), contexts=contexts,
        plan_model=lambda settings: (_model(_route(3)), ""), stack_region=REGION,
        pulumi_binary=_fake_pulumi(tmp_path, plugins=[AWS_VERSION]),
        pulumi_kwargs={"package_versions": {"aws": AWS_VERSION}}))
    statuses = {r.name: r.status for r in results}
    assert statuses["stack settings"] is Status.PASS and statuses["AWS credentials"] is Status.PASS
    assert statuses["Lattice quotas: lattice-gateway:rulesPerListener"] is Status.FAIL  # 20 assumed, 10 allowed
    assert statuses["Lattice quotas: Rules per listener"] is Status.PASS  # the plan needs 3
    assert seen["contexts"] == 20


def test_the_command_exits_1_on_a_failed_check_and_prints_json(tmp_path, isolated_aws, monkeypatch):
    project = _project(tmp_path, "config:\n  lattice-gateway:vpcId: vpc-nope\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "no-pulumi"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    outcome = CliRunner().invoke(app, ["doctor", "--stack", "dev", "--output", "json", "--project-dir", str(project)])
    assert outcome.exit_code == 1, outcome.output
    document = json.loads(outcome.stdout)
    statuses = {c["name"]: c["status"] for c in document["checks"]}
    assert document["ok"] is False
    assert statuses["stack settings"] == "fail" and statuses["pulumi CLI"] == "fail"
    assert statuses["cluster default (current context): reachable"] == "fail"
    assert all(c["fix"] for c in document["checks"] if c["status"] == "fail")


def test_the_command_exits_0_when_nothing_fails_and_prints_each_fix(monkeypatch, tmp_path):
    seen = {}

    def fake_diagnose(request):
        seen["contexts"] = request.contexts(None)
        return [passed("stack settings", "fine"),
                CheckResult("AWS controller CRDs", Status.WARN, "none installed", "install them")]

    monkeypatch.setattr("lattice_program.inspect.doctor_run.diagnose", fake_diagnose)
    outcome = CliRunner().invoke(app, ["doctor", "--context", "east", "--context", "west=west-ctx",
                                       "--project-dir", str(tmp_path)])
    assert outcome.exit_code == 0, outcome.output
    assert "[warn] AWS controller CRDs: none installed\n       fix: install them" in outcome.stdout
    assert "1 pass, 1 warn, 0 fail, 0 skip" in outcome.stdout
    assert seen["contexts"] == {"east": "east", "west": "west-ctx"}


def test_the_plan_the_quotas_are_checked_against_is_the_stack_sources():
    from cli.doctor import _plan_model

    root = Path(__file__).resolve().parents[2]
    model, note = _plan_model(StackSettings(vpc_id="vpc-0a1b2c3d", sources=["examples/checkout-ab"]), root)
    needs = {need.quota.name: need.count for need in plan_needs(model)}
    assert note == "" and needs["Services per Region"] == len(model.routes()) >= 1
    missing, why = _plan_model(StackSettings(vpc_id="vpc-0a1b2c3d", sources=["no/such/dir"]), root)
    assert missing is None and "no such file or directory" in why


def test_a_directory_that_is_no_project_fails_the_settings_check_and_nothing_raises(tmp_path, isolated_aws,
                                                                                    monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    outcome = CliRunner().invoke(app, ["doctor", "--stack", "dev", "--output", "json", "--project-dir", str(tmp_path)])
    assert outcome.exit_code == 1 and isinstance(outcome.exception, SystemExit), outcome.output  # not a traceback
    settings = json.loads(outcome.stdout)["checks"][0]
    assert settings["status"] == "fail" and "no Pulumi.yaml" in settings["detail"]

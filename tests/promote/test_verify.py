"""Verification against the Lattice emulator: services ACTIVE, DNS where resolvable,
healthy targets, the probe command; a release is verified only when every check passed."""

from __future__ import annotations

import subprocess

from lattice_program.promote.verify import verify_stack
from tests.promote.doubles import DEV_VPC


def _service(client, name, *, health_checks=True, targets=True):
    service = client.create_service(name=name)
    config = {"port": 80, "protocol": "HTTP", "vpcIdentifier": DEV_VPC, "ipAddressType": "IPV4"}
    if not health_checks:
        config["healthCheck"] = {"enabled": False}
    group = client.create_target_group(name=name, type="IP", config=config)
    client.create_listener(serviceIdentifier=service["id"], name="http-80", protocol="HTTP", port=80,
                           defaultAction={"forward": {"targetGroups": [{"targetGroupIdentifier": group["id"]}]}})
    if targets:
        client.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.9", "port": 8080}])
    return {"HTTPRoute/shop/" + name: {"serviceId": service["id"]}, "targetGroups": {name: group["id"]}}


def test_a_serving_stack_passes_and_an_unresolvable_name_is_skipped_not_passed(emulator):
    outputs = _service(emulator.client(), "checkout")
    result = verify_stack(outputs, emulator.client(), resolve=lambda name: False)
    assert result.passed
    by_subject = {c.subject: c.result for c in result.checks}
    assert by_subject == {"service HTTPRoute/shop/checkout": "passed", "service HTTPRoute/shop/checkout dns": "skipped",
                          "target group checkout": "passed"}
    resolved = verify_stack(outputs, emulator.client(), resolve=lambda name: name.endswith(".on.aws"))
    assert {c.subject: c.result for c in resolved.checks}["service HTTPRoute/shop/checkout dns"] == "passed"


def test_no_targets_or_unhealthy_targets_fail(emulator):
    outputs = _service(emulator.client(), "empty", targets=False)
    result = verify_stack(outputs, emulator.client(), resolve=lambda name: False)
    assert not result.passed and "no targets registered" in result.checks[-1].detail
    sick = _service(emulator.client(), "sick")
    emulator.set_target_status(sick["targetGroups"]["sick"], "10.0.0.9", "UNHEALTHY", 8080)
    failed = verify_stack(sick, emulator.client(), resolve=lambda name: False)
    assert not failed.passed and "UNHEALTHY" in failed.checks[-1].detail


def test_targets_of_a_group_without_health_checks_count_as_serving(emulator):
    outputs = _service(emulator.client(), "nocheck", health_checks=False)
    result = verify_stack(outputs, emulator.client(), resolve=lambda name: False)
    assert result.passed and "health checks disabled" in result.checks[-1].detail


def test_a_service_that_is_gone_fails_and_nothing_to_verify_fails(emulator):
    result = verify_stack({"HTTPRoute/shop/x": {"serviceId": "svc-0123456789abcdef0"}}, emulator.client(),
                          resolve=lambda name: False)
    assert not result.passed and "GetService failed" in result.checks[0].detail
    assert not verify_stack({}, emulator.client()).passed


def test_the_probe_command_runs_with_the_service_name_and_its_exit_decides(emulator):
    outputs = _service(emulator.client(), "probed")
    seen = []

    def run(argv, **kwargs):
        seen.append((argv, kwargs["env"]["LATTICE_SERVICE_DNS"]))
        return subprocess.CompletedProcess(argv, 0 if len(seen) == 1 else 7, "", "connection refused")

    ok = verify_stack(outputs, emulator.client(), probe_command="curl -fsS http://svc/healthz", run=run,
                      resolve=lambda name: False)
    assert ok.passed and seen[0][0] == ["curl", "-fsS", "http://svc/healthz"] and seen[0][1].endswith(".on.aws")
    bad = verify_stack(outputs, emulator.client(), probe_command="curl -fsS http://svc/healthz", run=run,
                       resolve=lambda name: False)
    probe = next(c for c in bad.checks if c.subject.endswith("probe"))
    assert not bad.passed and probe.detail == "exit 7 connection refused"


def test_a_target_group_that_cannot_be_listed_fails_naming_the_call(emulator):
    result = verify_stack({"targetGroups": {"gone": "tg-0123456789abcdef0"}}, emulator.client())
    (check,) = result.checks
    assert not result.passed and check.subject == "target group gone"
    assert check.detail.startswith("ListTargets failed:") and "ResourceNotFoundException" in check.detail


def test_a_probe_command_that_cannot_run_fails_the_verification(emulator, tmp_path):
    outputs = _service(emulator.client(), "unprobed")
    missing = str(tmp_path / "no-such-probe")
    result = verify_stack(outputs, emulator.client(), probe_command=f"{missing} --quick", resolve=lambda name: False)
    probe = next(c for c in result.checks if c.subject.endswith("probe"))
    assert not result.passed and probe.result == "failed"
    assert probe.detail.startswith(f"{(missing + ' --quick')!r} could not run:")


def test_a_name_this_machine_resolves_passes_the_dns_check():
    from lattice_program.promote.verify import _resolvable

    assert _resolvable("localhost") is True
    assert _resolvable("no-such-name.invalid") is False

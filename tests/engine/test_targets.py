"""Target sync against botocore's Stubber, which checks every request against the
vpc-lattice API model and fails on any call that was not expected."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from components.specs import LatticeModel, Target
from lattice_program.engine.targets import (
    desired_by_group_id,
    DRAINING,
    HELD_EMPTY_REASON,
    UNKNOWN_DESIRED_REASON,
    plan_target_changes,
    report_to_dict,
    sync_targets,
)
from lattice_program.vocabulary.outputs import TARGET_GROUPS

TG_A = "tg-0123456789abcdefa"
TG_B = "tg-0123456789abcdefb"


@pytest.fixture
def client():
    return boto3.client(
        "vpc-lattice",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


@pytest.fixture
def stubber(client):
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def item(target_id: str, port: int, status: str = "HEALTHY") -> dict:
    return {"id": target_id, "port": port, "status": status}


def wire(*targets: Target) -> list[dict]:
    return [{"id": t.id, "port": t.port} for t in targets]


def expect_list(stub, tg, items, *, token=None, next_token=None):
    params = {"targetGroupIdentifier": tg}
    if token:
        params["nextToken"] = token
    response = {"items": items}
    if next_token:
        response["nextToken"] = next_token
    stub.add_response("list_targets", response, params)


def expect_register(stub, tg, targets, unsuccessful=()):
    stub.add_response(
        "register_targets",
        {"successful": wire(*targets), "unsuccessful": list(unsuccessful)},
        {"targetGroupIdentifier": tg, "targets": wire(*targets)},
    )


def expect_deregister(stub, tg, targets, unsuccessful=()):
    stub.add_response(
        "deregister_targets",
        {"successful": wire(*targets), "unsuccessful": list(unsuccessful)},
        {"targetGroupIdentifier": tg, "targets": wire(*targets)},
    )


# --- basic convergence -------------------------------------------------------------------


def test_registers_missing_and_deregisters_gone(client, stubber):
    keep, new, gone = Target("10.0.0.1", 8080), Target("10.0.0.2", 8080), Target("10.0.0.9", 8080)
    expect_list(stubber, TG_A, [item(keep.id, keep.port), item(gone.id, gone.port, "UNHEALTHY")])
    expect_register(stubber, TG_A, [new])
    expect_deregister(stubber, TG_A, [gone])

    report = sync_targets(client, {TG_A: [keep, new]})

    (result,) = report.results
    assert result.registered == (new,)
    assert result.deregistered == (gone,)
    assert result.unchanged == 1
    assert result.failed == () and result.error is None and result.skipped_reason is None
    assert report.ok and not report.dry_run


def test_same_ip_on_another_port_is_a_different_target(client, stubber):
    expect_list(stubber, TG_A, [item("10.0.0.1", 80)])
    expect_register(stubber, TG_A, [Target("10.0.0.1", 8080)])
    expect_deregister(stubber, TG_A, [Target("10.0.0.1", 80)])

    result = sync_targets(client, {TG_A: [Target("10.0.0.1", 8080)]}).results[0]

    assert result.registered == (Target("10.0.0.1", 8080),)
    assert result.deregistered == (Target("10.0.0.1", 80),)


def test_in_sync_group_makes_only_the_list_call(client, stubber):
    expect_list(stubber, TG_A, [item("10.0.0.1", 80, "UNUSED"), item("10.0.0.2", 80, "INITIAL")])

    result = sync_targets(client, {TG_A: [Target("10.0.0.2", 80), Target("10.0.0.1", 80)]}).results[0]

    assert (result.registered, result.deregistered, result.unchanged) == ((), (), 2)


def test_250_new_targets_go_in_sorted_batches_of_100_100_50(client, stubber):
    targets = [Target(f"10.0.{i // 250}.{i % 250}", 8080) for i in range(250)]
    ordered = sorted(targets, key=lambda t: (t.id, t.port))
    expect_list(stubber, TG_A, [])
    expect_register(stubber, TG_A, ordered[0:100])
    expect_register(stubber, TG_A, ordered[100:200])
    expect_register(stubber, TG_A, ordered[200:250])

    result = sync_targets(client, {TG_A: list(reversed(targets))}).results[0]

    assert result.registered == tuple(ordered)


def test_deregistration_is_batched_too(client, stubber):
    gone = sorted((Target(f"10.1.0.{i}", 80) for i in range(1, 6)), key=lambda t: t.id)
    expect_list(stubber, TG_A, [item(t.id, t.port) for t in gone])
    expect_deregister(stubber, TG_A, gone[0:2])
    expect_deregister(stubber, TG_A, gone[2:4])
    expect_deregister(stubber, TG_A, gone[4:5])

    result = sync_targets(client, {TG_A: []}, allow_empty=True, batch_size=2).results[0]

    assert result.deregistered == tuple(gone)


@pytest.mark.parametrize("batch_size", [0, 101, True, 2.5])
def test_batch_size_outside_the_api_limit_is_refused(client, batch_size):
    with pytest.raises(ValueError, match="batch_size must be an integer from 1 to 100"):
        sync_targets(client, {TG_A: []}, batch_size=batch_size)


# --- draining ----------------------------------------------------------------------------


def test_draining_targets_are_left_alone(client, stubber):
    draining = Target("10.0.0.5", 80)
    expect_list(stubber, TG_A, [item("10.0.0.1", 80), item(draining.id, draining.port, DRAINING)])

    result = sync_targets(client, {TG_A: [Target("10.0.0.1", 80)]}).results[0]

    assert result.deregistered == ()
    assert result.draining_left_alone == (draining,)


def test_desired_target_that_is_draining_is_registered_again(client, stubber):
    returning = Target("10.0.0.5", 80)
    expect_list(stubber, TG_A, [item(returning.id, returning.port, DRAINING)])
    expect_register(stubber, TG_A, [returning])

    result = sync_targets(client, {TG_A: [returning]}).results[0]

    assert result.registered == (returning,)
    assert result.draining_left_alone == ()
    assert result.unchanged == 0


# --- pagination --------------------------------------------------------------------------


def test_list_targets_follows_next_token(client, stubber):
    on_page_two = Target("10.0.0.2", 80)
    stale_on_page_two = Target("10.0.0.3", 80)
    expect_list(stubber, TG_A, [item("10.0.0.1", 80)], next_token="page-2")
    expect_list(
        stubber,
        TG_A,
        [item(on_page_two.id, on_page_two.port), item(stale_on_page_two.id, 80)],
        token="page-2",
    )
    expect_deregister(stubber, TG_A, [stale_on_page_two])

    result = sync_targets(client, {TG_A: [Target("10.0.0.1", 80), on_page_two]}).results[0]

    assert result.registered == ()  # page-two member was seen, not registered again
    assert result.deregistered == (stale_on_page_two,)
    assert result.unchanged == 2


# --- partial failures and errors ---------------------------------------------------------


def test_unsuccessful_entries_are_reported_not_raised(client, stubber):
    good, bad = Target("10.0.0.1", 80), Target("10.0.0.2", 80)
    stuck = Target("10.0.0.9", 80)
    expect_list(stubber, TG_A, [item(stuck.id, stuck.port)])
    expect_register(
        stubber,
        TG_A,
        [good, bad],
        unsuccessful=[
            {"id": bad.id, "port": bad.port, "failureCode": "InvalidTarget", "failureMessage": "not in VPC"}
        ],
    )
    expect_deregister(
        stubber,
        TG_A,
        [stuck],
        # the API may leave out the port; the target is matched by id within the batch
        unsuccessful=[{"id": stuck.id, "failureCode": "TargetNotFound", "failureMessage": "gone"}],
    )

    report = sync_targets(client, {TG_A: [good, bad]})

    result = report.results[0]
    assert result.registered == (good,)
    assert result.deregistered == ()
    assert result.failed == (
        (bad, "RegisterTargets: InvalidTarget: not in VPC"),
        (stuck, "DeregisterTargets: TargetNotFound: gone"),
    )
    assert not report.ok


def test_list_error_on_one_group_does_not_stop_the_next(client, stubber):
    stubber.add_client_error(
        "list_targets",
        service_error_code="AccessDeniedException",
        service_message="not allowed",
        http_status_code=403,
        expected_params={"targetGroupIdentifier": TG_A},
    )
    expect_list(stubber, TG_B, [])
    expect_register(stubber, TG_B, [Target("10.0.0.1", 80)])

    report = sync_targets(client, {TG_B: [Target("10.0.0.1", 80)], TG_A: []}, allow_empty=True)

    first, second = report.results
    assert first.target_group_id == TG_A
    assert "AccessDeniedException" in first.error and "not allowed" in first.error
    assert "nothing changed" in first.error
    assert (first.registered, first.deregistered) == ((), ())
    assert second.target_group_id == TG_B and second.error is None
    assert second.registered == (Target("10.0.0.1", 80),)
    assert not report.ok


def test_register_error_skips_deregistration_of_that_group(client, stubber):
    old, new = Target("10.0.0.1", 80), Target("10.0.0.2", 80)
    expect_list(stubber, TG_A, [item(old.id, old.port)])
    stubber.add_client_error(
        "register_targets",
        service_error_code="ThrottlingException",
        service_message="slow down",
        http_status_code=429,
        expected_params={"targetGroupIdentifier": TG_A, "targets": wire(new)},
    )

    result = sync_targets(client, {TG_A: [new]}).results[0]

    assert "ThrottlingException" in result.error
    assert "deregistration skipped" in result.error
    assert result.registered == () and result.deregistered == ()


def test_error_mid_registration_keeps_earlier_batches_in_the_report(client, stubber):
    first, second = Target("10.0.0.1", 80), Target("10.0.0.2", 80)
    expect_list(stubber, TG_A, [])
    expect_register(stubber, TG_A, [first])
    stubber.add_client_error(
        "register_targets",
        service_error_code="InternalServerException",
        http_status_code=500,
        expected_params={"targetGroupIdentifier": TG_A, "targets": wire(second)},
    )

    result = sync_targets(client, {TG_A: [second, first]}, batch_size=1).results[0]

    assert result.registered == (first,)
    assert "InternalServerException" in result.error


def test_listed_member_without_port_stops_the_group(client, stubber):
    stubber.add_response(
        "list_targets",
        {"items": [{"id": "arn:aws:lambda:us-east-1:123456789012:function:f", "status": "HEALTHY"}]},
        {"targetGroupIdentifier": TG_A},
    )

    result = sync_targets(client, {TG_A: []}, allow_empty=True).results[0]

    assert "without an id and port" in result.error
    assert "only IP target groups" in result.error
    assert result.deregistered == ()


# --- safety ------------------------------------------------------------------------------


def test_unknown_desired_set_is_skipped_without_any_call(client, stubber):
    expect_list(stubber, TG_B, [item("10.0.0.1", 80)])

    report = sync_targets(client, {TG_A: None, TG_B: [Target("10.0.0.1", 80)]})

    skipped, synced = report.results
    assert skipped.target_group_id == TG_A
    assert skipped.skipped_reason == UNKNOWN_DESIRED_REASON
    assert (skipped.registered, skipped.deregistered, skipped.unchanged) == ((), (), 0)
    assert synced.unchanged == 1
    assert report.ok


def test_empty_desired_set_is_held(client, stubber):
    live, draining = Target("10.0.0.1", 80), Target("10.0.0.2", 80)
    expect_list(stubber, TG_A, [item(live.id, live.port), item(draining.id, draining.port, DRAINING)])

    result = sync_targets(client, {TG_A: ()}).results[0]

    assert result.skipped_reason == HELD_EMPTY_REASON
    assert "allow_empty=True" in result.skipped_reason
    assert result.deregistered == ()
    assert result.unchanged == 1
    assert result.draining_left_alone == (draining,)


def test_empty_desired_set_drains_with_allow_empty(client, stubber):
    live, draining = Target("10.0.0.1", 80), Target("10.0.0.2", 80)
    expect_list(stubber, TG_A, [item(live.id, live.port), item(draining.id, draining.port, DRAINING)])
    expect_deregister(stubber, TG_A, [live])

    result = sync_targets(client, {TG_A: []}, allow_empty=True).results[0]

    assert result.skipped_reason is None
    assert result.deregistered == (live,)
    assert result.draining_left_alone == (draining,)


def test_empty_desired_set_with_only_draining_members_is_not_held(client, stubber):
    expect_list(stubber, TG_A, [item("10.0.0.2", 80, DRAINING)])

    result = sync_targets(client, {TG_A: []}).results[0]

    assert result.skipped_reason is None
    assert result.draining_left_alone == (Target("10.0.0.2", 80),)


@pytest.mark.parametrize(
    ("target_group_id", "desired", "expected"),
    [
        ("my-target-group", [], "is not a VPC Lattice target group ID"),
        (TG_A, [Target("10.0.0.1", 0)], "invalid port"),
        (TG_A, [Target("10.0.0.1", True)], "invalid port"),
        (TG_A, [Target("", 80)], "invalid id"),
        (TG_A, [("10.0.0.1", 80)], "is not a components.specs.Target"),
        (TG_A, "10.0.0.1:80", "must be a sequence of Target or None"),
    ],
)
def test_bad_input_is_reported_for_the_group_without_calls(client, stubber, target_group_id, desired, expected):
    report = sync_targets(client, {target_group_id: desired})

    (result,) = report.results
    assert expected in result.error
    assert not report.ok


def test_target_group_arn_is_accepted(client, stubber):
    arn = f"arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/{TG_A}"
    expect_list(stubber, arn, [])
    expect_register(stubber, arn, [Target("10.0.0.1", 80)])

    assert sync_targets(client, {arn: [Target("10.0.0.1", 80)]}).ok


# --- dry run -----------------------------------------------------------------------------


def test_dry_run_lists_but_never_writes(client, stubber):
    keep, new, gone = Target("10.0.0.1", 80), Target("10.0.0.2", 80), Target("10.0.0.3", 80)
    draining = Target("10.0.0.4", 80)
    expect_list(
        stubber,
        TG_A,
        [item(keep.id, 80), item(gone.id, 80), item(draining.id, 80, DRAINING)],
    )

    report = sync_targets(client, {TG_A: [keep, new]}, dry_run=True)

    result = report.results[0]
    assert report.dry_run
    assert result.registered == (new,)
    assert result.deregistered == (gone,)
    assert result.unchanged == 1
    assert result.draining_left_alone == (draining,)


def test_dry_run_still_holds_an_empty_desired_set(client, stubber):
    expect_list(stubber, TG_A, [item("10.0.0.1", 80)])

    result = sync_targets(client, {TG_A: []}, dry_run=True).results[0]

    assert result.skipped_reason == HELD_EMPTY_REASON
    assert result.deregistered == ()


# --- report ------------------------------------------------------------------------------


def test_report_to_dict_is_json_ready(client, stubber):
    bad = Target("10.0.0.2", 80)
    expect_list(stubber, TG_B, [])
    expect_register(
        stubber,
        TG_B,
        [Target("10.0.0.1", 80), bad],
        unsuccessful=[{"id": bad.id, "port": 80, "failureCode": "X", "failureMessage": "y"}],
    )

    report = sync_targets(client, {TG_A: None, TG_B: [Target("10.0.0.1", 80), bad]})
    data = json.loads(json.dumps(report_to_dict(report)))

    assert data["dryRun"] is False and data["ok"] is False
    skipped, synced = data["results"]
    assert skipped == {
        "targetGroupId": TG_A,
        "registered": [],
        "deregistered": [],
        "unchanged": 0,
        "drainingLeftAlone": [],
        "failed": [],
        "skippedReason": UNKNOWN_DESIRED_REASON,
        "error": None,
    }
    assert synced["registered"] == [{"id": "10.0.0.1", "port": 80}]
    assert synced["failed"] == [{"id": "10.0.0.2", "port": 80, "reason": "RegisterTargets: X: y"}]


# --- planning properties -----------------------------------------------------------------

targets_strategy = st.builds(
    Target, id=st.sampled_from([f"10.0.0.{i}" for i in range(6)]), port=st.sampled_from([80, 8080])
)
statuses = st.sampled_from(["DRAINING", "HEALTHY", "UNHEALTHY", "INITIAL", "UNUSED", "UNAVAILABLE", None])


@given(
    desired=st.lists(targets_strategy, max_size=12),
    current=st.dictionaries(targets_strategy, statuses, max_size=12),
)
def test_plan_reaches_the_desired_set_and_never_touches_draining(desired, current):
    changes = plan_target_changes(desired, current)
    registered_now = {t for t, s in current.items() if s != DRAINING}

    after = (registered_now | set(changes.to_register)) - set(changes.to_deregister)
    assert after == set(desired)
    assert not set(changes.to_deregister) & set(desired)
    assert all(current[t] != DRAINING for t in changes.to_deregister)
    assert all(current[t] == DRAINING for t in changes.draining_left_alone)
    assert len(changes.unchanged) + len(changes.to_register) == len(set(desired))
    for group in (changes.to_register, changes.to_deregister, changes.unchanged):
        assert list(group) == sorted(group, key=lambda t: (t.id, t.port))


def test_deregister_error_keeps_the_registrations_and_reports_the_error(client, stubber):
    old, new = Target("10.0.0.1", 80), Target("10.0.0.2", 80)
    expect_list(stubber, TG_A, [item(old.id, old.port)])
    expect_register(stubber, TG_A, [new])
    stubber.add_client_error(
        "deregister_targets",
        service_error_code="ThrottlingException",
        service_message="slow down",
        http_status_code=429,
        expected_params={"targetGroupIdentifier": TG_A, "targets": wire(old)},
    )

    result = sync_targets(client, {TG_A: [new]}).results[0]

    assert result.registered == (new,) and result.deregistered == ()
    assert "ThrottlingException" in result.error and "slow down" in result.error
    assert "deregistration skipped" not in result.error


def test_an_unsuccessful_entry_without_port_for_an_ip_on_two_ports_counts_both_as_failed(client, stubber):
    """Two targets of one IP in a batch: an entry without a port cannot say which one
    failed, so neither is counted as registered (the next sync tries both again)."""
    first, second = Target("10.0.0.1", 80), Target("10.0.0.1", 8080)
    expect_list(stubber, TG_A, [])
    expect_register(stubber, TG_A, [first, second],
                    unsuccessful=[{"id": first.id, "failureCode": "InvalidTarget", "failureMessage": "no"}])

    report = sync_targets(client, {TG_A: [first, second]})

    assert report.results[0].failed == ((first, "RegisterTargets: InvalidTarget: no"),
                                        (second, "RegisterTargets: InvalidTarget: no"))
    assert report.results[0].registered == ()
    assert not report.ok


def test_desired_members_by_group_id_hold_back_groups_not_created_and_unknown_reads():
    model = LatticeModel(gateway_classes=(), targets={"route/a": (Target("10.0.0.1", 80),),
                                                      "route/b": (Target("10.0.0.2", 80),)})
    outputs = {TARGET_GROUPS: {"route/a": TG_A}}  # route/b's group is not created yet

    assert desired_by_group_id(model, outputs, complete=True) == ({TG_A: (Target("10.0.0.1", 80),)}, ["route/b"])
    assert desired_by_group_id(model, outputs, complete=False) == ({TG_A: None}, ["route/b"])
    assert desired_by_group_id(model, {}, complete=True) == ({}, ["route/a", "route/b"])


def test_an_unsuccessful_entry_for_an_id_not_asked_for_is_reported_and_blames_no_requested_target(client, stubber):
    asked = Target("10.0.0.1", 80)
    expect_list(stubber, TG_A, [])
    expect_register(stubber, TG_A, [asked],
                    unsuccessful=[{"id": "10.9.9.9", "failureCode": "InvalidTarget", "failureMessage": "no"}])

    result = sync_targets(client, {TG_A: [asked]}).results[0]

    assert result.failed == ((Target("10.9.9.9", 0), "RegisterTargets: InvalidTarget: no"),)
    assert result.registered == (asked,)

"""Stack settings refused with the config key and the fix: values, shapes and files."""

from __future__ import annotations

import pytest

from lattice_program.vocabulary.settings import SettingsError, read_stack_file, settings_from_config


def refusal(values) -> str:
    with pytest.raises(SettingsError) as raised:
        settings_from_config(values)
    return str(raised.value)


def test_two_clusters_of_one_name_are_refused():
    cluster = {"name": "east", "vpcId": "vpc-0a1b2c3d"}

    assert refusal({"clusters": [cluster, dict(cluster)]}) == (
        "invalid stack settings: lattice-gateway:clusters: cluster names must be unique")


def test_a_missing_required_key_is_named_by_its_path():
    assert refusal({"clusters": [{"name": "east"}]}) == (
        "invalid stack settings: lattice-gateway:clusters[0].vpcId: required; set it")


@pytest.mark.parametrize(("values", "expected"), [
    ({"rulesPerListener": 0}, "lattice-gateway:rulesPerListener: 0: Input should be greater than or equal to 1"),
    ({"externalDns": 3}, "lattice-gateway:externalDns: 3: Input should be a valid boolean"),
    ({"listenersPerService": 2.5}, "lattice-gateway:listenersPerService: 2.5: Input should be a valid integer"),
])
def test_a_number_given_is_shown_beside_the_problem(values, expected: str):
    assert refusal(values).startswith(f"invalid stack settings: {expected}")


def test_a_stack_file_that_cannot_be_read_names_the_file_and_why(tmp_path):
    directory = tmp_path / "Pulumi.dev.yaml"
    directory.mkdir()  # a directory where the file should be: reading it fails with EISDIR

    with pytest.raises(SettingsError) as raised:
        read_stack_file(directory)

    assert str(raised.value) == f"{directory}: cannot read stack settings: Is a directory"


def test_a_stack_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_bytes("config:\n  lattice-gateway:tags: {team: caf\xe9}\n".encode("latin-1"))

    with pytest.raises(SettingsError) as raised:
        read_stack_file(path)

    assert str(raised.value).startswith(f"{path}: cannot read stack settings: 'utf-8' codec can't decode byte 0xe9")


@pytest.mark.parametrize(("key", "attribute"), [("rulesPerListener", "rules_per_listener"),
                                              ("listenersPerService", "listeners_per_service"),
                                              ("servicesPerServiceNetwork", "services_per_service_network")])
def test_a_quota_given_as_true_is_refused_rather_than_read_as_one(key, attribute):
    assert refusal({key: True}) == f"invalid stack settings: lattice-gateway:{key}: a quota is a number, not true or false"
    assert getattr(settings_from_config({key: "7"}), attribute) == 7

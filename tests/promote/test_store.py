"""The release store's failures, each named by where it happened, and the provenance a
release carries when git or the package metadata is not there."""

from __future__ import annotations

import getpass
import importlib.metadata

import orjson
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from lattice_program.promote import release as release_module
from lattice_program.promote.canonical import canonical_object, canonical_snapshot
from lattice_program.promote.release import ReleaseError, git_commit, make_release, parse_release
from lattice_program.promote.stacks import load_stack, project_name
from lattice_program.promote.errors import BadInput
from lattice_program.promote.store import DirectoryBlobs, ReleaseStore, S3Blobs, StoreError, open_blobs
from lattice_program.sources.files import RawObject

ROUTE = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "checkout", "namespace": "shop"}, "spec": {"parentRefs": [{"name": "storefront"}]}}


def _release(project: str = "lattice-gateway"):
    return make_release({"dev-eks": [RawObject(ROUTE, "r.yaml#0")]}, project=project, stack="dev",
                        settings_values={"vpcId": "vpc-0a1b2c3d4e5f60789"})


def _s3_client(**config):
    import boto3

    return boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y", **config)


def test_a_release_path_that_cannot_be_read_is_a_store_error_naming_it(tmp_path):
    release = _release()
    store = ReleaseStore(DirectoryBlobs(tmp_path), "lattice-gateway")
    path = tmp_path / "dev" / "releases" / f"{release.digest[7:]}.json"
    path.mkdir(parents=True)  # a directory where the release file should be
    with pytest.raises(StoreError, match=f"cannot read {path}"):
        store.load("dev", release.digest)


def test_a_store_that_cannot_be_written_says_where(tmp_path):
    (tmp_path / "releases").write_text("a file, not a directory")
    store = ReleaseStore(DirectoryBlobs(tmp_path / "releases"), "lattice-gateway")
    with pytest.raises(StoreError, match=f"cannot write {tmp_path / 'releases' / 'dev' / 'events'}"):
        store.record("dev", "apply", digest="sha256:" + "0" * 64)


def test_a_corrupt_event_stops_the_history_read(tmp_path):
    store = ReleaseStore(DirectoryBlobs(tmp_path), "lattice-gateway")
    store.record("dev", "apply", digest="sha256:" + "0" * 64, result="succeeded")
    (tmp_path / "dev" / "events" / "20990101T000000.000000Z-apply.json").write_text("{half an event")
    with pytest.raises(StoreError, match="history event .*20990101T000000.000000Z-apply.json is corrupt"):
        store.events("dev")


def test_an_event_records_who_even_without_a_user_name(tmp_path, monkeypatch):
    import os
    import socket

    def no_user():
        raise OSError("no user name")
    monkeypatch.setattr(getpass, "getuser", no_user)
    store = ReleaseStore(DirectoryBlobs(tmp_path), "lattice-gateway")
    event = store.record("dev", "verify", digest="sha256:" + "0" * 64, passed=True)
    assert event["by"] == f"{os.getuid()}@{socket.gethostname()}"
    assert store.events("dev") == [event]


def test_s3_read_and_write_failures_name_the_object(tmp_path):
    client = _s3_client()
    store = ReleaseStore(S3Blobs("platform", "/lattice/", client), "lattice-gateway")
    release = _release()
    key = f"lattice/dev/releases/{release.digest[7:]}.json"
    with Stubber(client) as stub:
        stub.add_client_error("get_object", "AccessDenied", http_status_code=403)
        with pytest.raises(StoreError, match=f"cannot read s3://platform/{key}: .*AccessDenied"):
            store.load("dev", release.digest)
        stub.add_client_error("get_object", "NoSuchKey", http_status_code=404)
        stub.add_client_error("put_object", "AccessDenied", http_status_code=403)
        with pytest.raises(StoreError, match=f"cannot write s3://platform/{key}"):
            store.save("dev", release)
        stub.assert_no_pending_responses()


def test_an_unreachable_s3_store_is_a_store_error_not_a_traceback(tmp_path):
    # Nothing listens on the discard port: the connection is refused at once.
    client = _s3_client(endpoint_url="http://127.0.0.1:9", config=Config(retries={"max_attempts": 1},
                                                                          connect_timeout=1))
    blobs = S3Blobs("platform", "", client)
    with pytest.raises(StoreError, match="cannot read s3://platform/dev/approvals/x.json: Could not connect"):
        blobs.get("dev/approvals/x.json")


def test_an_s3_location_without_a_client_uses_boto3s(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    blobs = open_blobs("s3://platform-releases/team/a", tmp_path)
    assert isinstance(blobs, S3Blobs) and (blobs.bucket, blobs.prefix) == ("platform-releases", "team/a")
    assert blobs.client.meta.service_model.service_name == "s3"
    assert blobs.describe("dev/x.json") == "s3://platform-releases/team/a/dev/x.json"


def test_a_document_that_is_not_a_release_is_refused_by_name():
    for document in ({"format": "something/else", "objects": {}}, ["a", "list"],
                     {"format": release_module.FORMAT, "objects": "not a mapping"}):
        with pytest.raises(ReleaseError, match="release file store/x.json is not a lattice-gateway/release/v1 document"):
            parse_release(orjson.dumps(document), where="store/x.json", project="lattice-gateway")


def test_a_release_asked_for_by_another_digest_is_refused():
    release = _release()
    other = "sha256:" + "f" * 64
    with pytest.raises(ReleaseError, match=f"its objects hash to {release.digest}, not {other}"):
        parse_release(release.to_bytes(), where="x.json", project="lattice-gateway", digest=other)


def test_without_package_metadata_the_tool_version_is_unknown(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)
    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert _release().tool_version == "unknown"


def test_without_git_a_release_has_no_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    assert git_commit(tmp_path) is None
    outside = tmp_path / "not-a-repository"
    outside.mkdir()
    monkeypatch.undo()
    assert git_commit(outside) is None  # git runs, but this is no work tree


def test_a_non_mapping_object_is_kept_for_the_parser_and_sorts_first():
    annotated = {**ROUTE, "metadata": {**ROUTE["metadata"], "annotations": {
        "team": "shop", "kubectl.kubernetes.io/last-applied-configuration": "{}"}}}
    assert canonical_object(annotated)["metadata"]["annotations"] == {"team": "shop"}
    snapshot = canonical_snapshot({"c": [RawObject(annotated, "a#0"), RawObject(["not", "an", "object"], "a#1")]})
    assert snapshot == {"c": [["not", "an", "object"], canonical_object(annotated)]}


def test_a_project_without_a_usable_pulumi_yaml_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match=f"cannot read the project's Pulumi.yaml in {tmp_path}"):
        project_name(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("runtime: python\n")
    with pytest.raises(BadInput, match="Pulumi.yaml names no project"):
        project_name(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BadInput, match=f"no Pulumi.yaml in {empty}"):
        load_stack(empty, "dev")

"""Releases: one digest for the same objects whatever their key order, whitespace or
server fields, on any run; the store on disk and in S3; bad releases refused by name."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from lattice_program.promote.canonical import snapshot_digest
from lattice_program.promote.release import ReleaseError, make_release
from lattice_program.promote.store import DirectoryBlobs, ReleaseStore, S3Blobs, StoreError, open_blobs
from lattice_program.sources.files import RawObject, load_paths
from tests.promote.doubles import ROOT

ROUTE_YAML = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: checkout, namespace: shop}
spec:
  parentRefs: [{name: storefront}]
  rules: [{backendRefs: [{name: checkout-v1, port: 8080}]}]
"""
# The same object as a server returns it: other key order, other layout, server fields.
SERVED_YAML = """\
kind: HTTPRoute
spec:
  rules:
  - backendRefs:
    - port: 8080
      name: checkout-v1
  parentRefs:
  -   name: storefront
metadata:
  namespace: shop
  name: checkout
  uid: 0b6c5d1e-1111-2222-3333-444455556666
  resourceVersion: "48213"
  generation: 3
  creationTimestamp: "2026-11-30T10:00:00Z"
  managedFields: [{manager: kubectl, operation: Apply}]
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"HTTPRoute"}'
apiVersion: gateway.networking.k8s.io/v1
status:
  parents: [{parentRef: {name: storefront}, controllerName: x, conditions: []}]
"""


def _objects(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return {"dev-eks": load_paths([str(path)])}


def test_the_digest_ignores_key_order_whitespace_and_server_fields(tmp_path):
    authored = snapshot_digest(_objects(tmp_path, "a.yaml", ROUTE_YAML))
    served = snapshot_digest(_objects(tmp_path, "b.yaml", SERVED_YAML))
    assert authored == served and authored.startswith("sha256:")
    changed = snapshot_digest(_objects(tmp_path, "c.yaml", ROUTE_YAML.replace("8080", "8081")))
    assert changed != authored


def test_the_digest_ignores_object_order_and_origin_but_not_the_cluster():
    a = RawObject({"kind": "Service", "metadata": {"name": "a"}}, "x.yaml#0")
    b = RawObject({"kind": "Service", "metadata": {"name": "b"}}, "y.yaml#3")
    assert snapshot_digest({"c1": [a, b]}) == snapshot_digest({"c1": [b, RawObject(a.body, "elsewhere#9")]})
    assert snapshot_digest({"c1": [a, b]}) != snapshot_digest({"c2": [a, b]})


def test_the_digest_is_the_same_in_another_process_with_another_hash_seed():
    code = ("from lattice_program.sources.files import load_paths; "
            "from lattice_program.promote.canonical import snapshot_digest; "
            f"print(snapshot_digest({{'dev-eks': load_paths([{str(ROOT / 'examples' / 'checkout-ab')!r}])}}))")
    digests = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout.strip()
               for seed in ("1", "977")}
    here = snapshot_digest({"dev-eks": load_paths([str(ROOT / "examples" / "checkout-ab")])})
    assert digests == {here}


def _release(tmp_path, project="lattice-gateway"):
    return make_release(_objects(tmp_path, "r.yaml", ROUTE_YAML), project=project, stack="dev",
                        settings_values={"vpcId": "vpc-0a1b2c3d4e5f60789"}, project_dir=ROOT)


def test_a_release_carries_its_provenance_and_reads_back(tmp_path):
    release = _release(tmp_path)
    assert release.tool_version and release.settings_digest.startswith("sha256:")
    assert release.commit is None or len(release.commit.split("+")[0]) == 40  # in git here, unless exported
    store = ReleaseStore(DirectoryBlobs(tmp_path / "releases"), "lattice-gateway")
    store.save("dev", release)
    assert (tmp_path / "releases" / "dev" / "releases" / f"{release.digest[7:]}.json").is_file()
    again = store.load("dev", release.digest)
    assert again.objects == release.objects and again.commit == release.commit


@pytest.mark.parametrize("damage, words", [
    (lambda text: text[: len(text) // 2], "corrupt (not JSON"),
    (lambda text: text.replace("checkout-v1", "checkout-v2"), "its objects hash to"),
    (lambda text: text.replace('"lattice-gateway"', '"someone-else"'), "belongs to project 'someone-else'"),
])
def test_a_damaged_or_foreign_release_is_refused_by_name(tmp_path, damage, words):
    release = _release(tmp_path)
    store = ReleaseStore(DirectoryBlobs(tmp_path / "releases"), "lattice-gateway")
    store.save("dev", release)
    path = tmp_path / "releases" / "dev" / "releases" / f"{release.digest[7:]}.json"
    path.write_text(damage(path.read_text()))
    with pytest.raises(ReleaseError) as refused:
        store.load("dev", release.digest)
    assert words in str(refused.value) and str(path) in str(refused.value)


def test_a_missing_or_malformed_digest_is_a_clear_error(tmp_path):
    store = ReleaseStore(DirectoryBlobs(tmp_path / "releases"), "lattice-gateway")
    with pytest.raises(ReleaseError, match="never recorded in stack dev.*latticectl history dev"):
        store.load("dev", "sha256:" + "0" * 64)
    with pytest.raises(ReleaseError, match="is not a release digest"):
        store.load("dev", "abc")


def test_the_s3_store_puts_gets_and_lists_under_its_prefix(tmp_path):
    import boto3

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    blobs = open_blobs("s3://platform-releases/lattice", tmp_path, s3_client=lambda: client)
    assert isinstance(blobs, S3Blobs)
    store = ReleaseStore(blobs, "lattice-gateway")
    release = _release(tmp_path)
    body = release.to_bytes()
    key = f"lattice/dev/releases/{release.digest[7:]}.json"
    with Stubber(client) as stub:
        missing = {"Bucket": "platform-releases", "Key": key}
        stub.add_client_error("get_object", "NoSuchKey", expected_params=missing)
        stub.add_response("put_object", {}, {**missing, "Body": body, "ContentType": "application/json"})
        stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(body), len(body))}, missing)
        stub.add_response("list_objects_v2", {"Contents": [{"Key": "lattice/dev/events/1-apply.json"}],
                                              "IsTruncated": False},
                          {"Bucket": "platform-releases", "Prefix": "lattice/dev/events/"})
        event = json.dumps({"kind": "apply", "digest": release.digest}).encode()
        stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(event), len(event))},
                          {"Bucket": "platform-releases", "Key": "lattice/dev/events/1-apply.json"})
        store.save("dev", release)
        assert store.load("dev", release.digest).digest == release.digest
        assert store.events("dev") == [{"kind": "apply", "digest": release.digest}]
        stub.assert_no_pending_responses()


def test_an_s3_store_that_fails_says_where_and_a_bad_location_is_refused(tmp_path):
    import boto3

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    store = ReleaseStore(open_blobs("s3://b/p", tmp_path, s3_client=lambda: client), "lattice-gateway")
    with Stubber(client) as stub:
        stub.add_client_error("list_objects_v2", "AccessDenied", http_status_code=403)
        with pytest.raises(StoreError, match="cannot list s3://b/p/dev/events"):
            store.events("dev")
    with pytest.raises(StoreError, match="names no bucket"):
        open_blobs("s3:///x", tmp_path)
    with pytest.raises(StoreError, match="use a directory or s3://"):
        open_blobs("gs://bucket/x", tmp_path)


def test_endpoint_slices_are_runtime_state_and_no_part_of_a_release():
    route = RawObject({"kind": "HTTPRoute", "apiVersion": "gateway.networking.k8s.io/v1",
                       "metadata": {"name": "r", "namespace": "shop"}}, "a#0")
    slice_ = RawObject({"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                        "metadata": {"name": "s", "namespace": "shop"}, "endpoints": [{"addresses": ["10.0.0.1"]}]}, "a#1")
    assert snapshot_digest({"c": [route, slice_]}) == snapshot_digest({"c": [route]})

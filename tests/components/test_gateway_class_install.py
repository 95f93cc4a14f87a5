"""The GatewayClass component installing Kubernetes objects, under Pulumi's mocks: the
GatewayClass object after the pinned Gateway API CRDs, in every cluster, on its provider;
off by default; outputs awaited to their resolved values."""

from __future__ import annotations

import pulumi
import pytest

from components.gateway_class import GatewayClass, GatewayClassArgs, ClusterObjects, gateway_api_crds_url
from components.specs import GatewayClassSpec, LatticeModel
from lattice_program.program.declare import declare
from lattice_program.vocabulary.settings import (CONTROLLER_NAME, GATEWAY_API_VERSION, SettingsError,
                                                 settings_from_config)

CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
GATEWAY_CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
PROVIDER = "pulumi:providers:kubernetes"
KEY = "GatewayClass/amazon-vpc-lattice"
TWO_CLUSTERS = [{"name": "east", "vpcId": "vpc-0a1b2c3d", "context": "east-ctx"},
                {"name": "west", "vpcId": "vpc-0a1b2c3e"}]


def _urn_name(urn: str) -> str:
    return urn.split("::")[-1]


def test_the_crds_url_is_the_release_asset_at_the_pinned_version():
    assert gateway_api_crds_url("v1.5.0") == \
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.0/standard-install.yaml"
    assert gateway_api_crds_url("v1.4.1", "experimental").endswith("/v1.4.1/experimental-install.yaml")


def test_install_is_off_by_default_and_validated():
    assert settings_from_config({}).install.gateway_class is False
    assert settings_from_config({}).install.gateway_api_version == GATEWAY_API_VERSION
    with pytest.raises(SettingsError, match="lattice-gateway:install.gatewayApiVersion"):
        settings_from_config({"install": {"gatewayApiCrds": True, "gatewayApiVersion": "latest"}})
    with pytest.raises(SettingsError, match="lattice-gateway:install.gatewayApiChannel"):
        settings_from_config({"install": {"gatewayApiChannel": "nightly"}})


def test_the_component_installs_crds_then_the_class_object_in_each_cluster(runtime):
    east = pulumi.ProviderResource("kubernetes", "kubernetes/east")
    objects = ClusterObjects(class_name="amazon-vpc-lattice", controller_name=CONTROLLER_NAME,
                             clusters=("east", "west"), create_class=True,
                             crds_url=gateway_api_crds_url("v1.5.0"))
    component = GatewayClass(KEY, GatewayClassArgs(spec=GatewayClassSpec(key=KEY, controller_name=CONTROLLER_NAME),
                                                   kubernetes_providers={"east": east}, cluster_objects=objects))
    mocks = runtime.settle()

    crds = mocks.of_type(CONFIG_FILE)
    classes = mocks.of_type(GATEWAY_CLASS)
    assert sorted(crds) == [f"{KEY}/east/gateway-api-crds", f"{KEY}/west/gateway-api-crds"]
    assert {c.inputs["file"] for c in crds.values()} == {gateway_api_crds_url("v1.5.0")}
    assert sorted(classes) == [f"{KEY}/east/gateway-class", f"{KEY}/west/gateway-class"]
    east_class = classes[f"{KEY}/east/gateway-class"]
    assert east_class.inputs["metadata"]["name"] == "amazon-vpc-lattice"
    assert east_class.inputs["spec"]["controllerName"] == CONTROLLER_NAME
    assert [_urn_name(d) for d in east_class.dependencies] == [f"{KEY}/east/gateway-api-crds"]
    assert _urn_name(east_class.parent_urn) == KEY
    assert runtime.resolve(component.class_objects["west"].metadata)["name"] == "amazon-vpc-lattice"
    assert runtime.resolve(component.crds["east"].urn).endswith(f"{KEY}/east/gateway-api-crds")


def test_only_the_class_object_without_the_crds(runtime):
    objects = ClusterObjects(class_name="lattice", controller_name="example.com/lattice", clusters=("a",),
                             create_class=True)
    GatewayClass("GatewayClass/lattice", GatewayClassArgs(spec=GatewayClassSpec(key="GatewayClass/lattice",
                                                                                controller_name="x"),
                                                          cluster_objects=objects))
    mocks = runtime.settle()
    [registration] = mocks.of_type(GATEWAY_CLASS).values()
    assert mocks.of_type(CONFIG_FILE) == {}
    assert registration.dependencies == ()
    assert registration.inputs["spec"]["controllerName"] == "example.com/lattice"


def test_declare_installs_from_the_settings_with_one_provider_per_context(runtime):
    settings = settings_from_config({"clusters": TWO_CLUSTERS,
                                     "install": {"gatewayClass": True, "gatewayApiCrds": True,
                                                 "gatewayApiVersion": "v1.4.1"}})
    handles = declare(LatticeModel(), settings=settings)
    mocks = runtime.settle()

    assert list(handles.gateway_classes) == [KEY]  # made for the install: no class exists yet
    assert sorted(mocks.of_type(PROVIDER)) == ["kubernetes/east"]
    assert mocks.get(PROVIDER, "kubernetes/east").inputs["context"] == "east-ctx"
    assert {c.inputs["file"] for c in mocks.of_type(CONFIG_FILE).values()} == {gateway_api_crds_url("v1.4.1")}
    assert len(mocks.of_type(GATEWAY_CLASS)) == 2
    resolved = runtime.resolve(handles.gateway_classes[KEY].class_objects["east"].metadata)
    assert resolved["name"] == "amazon-vpc-lattice"


def test_declare_installs_nothing_unless_asked(runtime):
    declare(LatticeModel(), settings=settings_from_config({"clusters": TWO_CLUSTERS}))
    mocks = runtime.settle()
    assert mocks.of_type(CONFIG_FILE) == {} and mocks.of_type(GATEWAY_CLASS) == {}
    assert mocks.of_type(PROVIDER) == {}


@pytest.fixture
def stack_config():
    """Stack config the program reads itself, cleared after the test."""
    def set_values(values):
        pulumi.runtime.set_all_config({f"lattice-gateway:{key}": value for key, value in values.items()})
    yield set_values
    pulumi.runtime.set_all_config({})


def test_declare_reads_the_install_settings_from_the_stack_config(runtime, stack_config):
    stack_config({"vpcId": "vpc-0a1b2c3d", "clusterName": "solo", "install": '{"gatewayClass": true}'})
    declare(LatticeModel())
    mocks = runtime.settle()
    assert sorted(mocks.of_type(GATEWAY_CLASS)) == [f"{KEY}/solo/gateway-class"]


def test_invalid_install_config_stops_the_program_naming_the_key(runtime, stack_config):
    stack_config({"install": '{"gatewayApiChannel": "nightly"}'})
    with pytest.raises(pulumi.RunError, match="lattice-gateway:install.gatewayApiChannel"):
        declare(LatticeModel())


@pytest.mark.needs_kube_apiserver
def test_the_declared_class_object_is_valid_for_the_real_crd(runtime, kube_apiserver):
    # A name no other test of the session creates: the shared amazon-vpc-lattice class may exist already.
    objects = ClusterObjects(class_name="lattice-install-check", controller_name=CONTROLLER_NAME, clusters=("a",),
                             create_class=True)
    GatewayClass(KEY, GatewayClassArgs(spec=GatewayClassSpec(key=KEY, controller_name=CONTROLLER_NAME),
                                       cluster_objects=objects))
    [declared] = runtime.settle().of_type(GATEWAY_CLASS).values()
    body = {"apiVersion": declared.inputs["apiVersion"], "kind": declared.inputs["kind"],
            "metadata": declared.inputs["metadata"], "spec": declared.inputs["spec"]}
    stored = kube_apiserver.request("POST", "/apis/gateway.networking.k8s.io/v1/gatewayclasses", body, dryRun="All")
    assert stored["spec"]["controllerName"] == CONTROLLER_NAME
    assert stored["metadata"]["name"] == "lattice-install-check"

"""Each cluster of the stack: reachable, the Gateway API and AWS controller CRDs installed
(and at which bundle version), and no AWS Gateway API Controller running beside us.

CRDs are read as metadata only (``PartialObjectMetadataList``): the Gateway API CRDs carry
tens of thousands of lines of schema, and the bundle version is an annotation.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from lattice_program.inspect.doctor import CheckResult, failed, passed, skipped, warned
from lattice_program.sources.cluster import AWS_GROUP, AWS_KINDS, GATEWAY_API_INSTALL_HINT, GATEWAY_GROUP, \
    ClusterUnavailable
from lattice_program.vocabulary.settings import CONTROLLER_NAME

BUNDLE_VERSION = "gateway.networking.k8s.io/bundle-version"
CHANNEL = "gateway.networking.k8s.io/channel"
REQUIRED_GATEWAY_CRDS = ("gatewayclasses", "gateways", "httproutes")
OPTIONAL_GATEWAY_CRDS = ("grpcroutes", "tlsroutes", "referencegrants")
AWS_CRDS = tuple(kind.plural for kind in AWS_KINDS)
OLDEST_BUNDLE = (1, 0)  # GatewayClass, Gateway and HTTPRoute at v1
# The AWS Gateway API Controller's image and its Helm chart's Deployment label
# (public.ecr.aws/aws-application-networking-k8s/aws-gateway-controller; control-plane: gateway-api-controller).
CONTROLLER_IMAGE = "aws-gateway-controller"
CONTROLLER_LABEL = ("control-plane", "gateway-api-controller")
AWS_CRDS_INSTALL_HINT = ("install them from the AWS Gateway API Controller's release (its crds/ folder), "
                         "kubectl apply --server-side, if you use its policies, ServiceExport or ServiceImport")
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
TIMEOUT: Tuple[float, float] = (5.0, 20.0)

Connect = Callable[[Optional[str]], k8s_client.ApiClient]


def check_cluster(cluster: str, context: Optional[str], connect: Connect, *,
                  controller_name: str = CONTROLLER_NAME) -> List[CheckResult]:
    label = f"cluster {cluster} ({'context ' + context if context else 'current context'})"
    names = [f"{label}: {what}" for what in ("reachable", "Gateway API CRDs", "AWS controller CRDs",
                                            "GatewayClass", "no AWS Gateway API Controller")]
    try:
        api_client = connect(context)
        version = k8s_client.VersionApi(api_client).get_code(_request_timeout=TIMEOUT)
    except ClusterUnavailable as error:
        return [failed(names[0], str(error), "fix the kubeconfig or pass --context CLUSTER=CTX")] + \
            [skipped(name, "the cluster is not reachable") for name in names[1:]]
    except (ApiException, HTTPError, OSError) as error:
        return [failed(names[0], f"the API server did not answer: {_short(error)}",
                       "check the network path and credentials (kubectl --context ... version)")] + \
            [skipped(name, "the cluster is not reachable") for name in names[1:]]
    results = [passed(names[0], f"Kubernetes {version.git_version}")]
    crds = _crd_annotations(api_client)
    if isinstance(crds, tuple):
        why, fix = crds
        results += [skipped(names[1], why, fix), skipped(names[2], why, fix)]
    else:
        results += [_gateway_api(names[1], crds), _aws_crds(names[2], crds)]
    results.append(_gateway_class(names[3], api_client, controller_name))
    results.append(_controller(names[4], api_client, controller_name))
    return results


_GRANT_CRD_LIST = "grant list on customresourcedefinitions to check"
_RETRY_CRD_LIST = "check the network path to the API server, then rerun doctor"


def _crd_annotations(api_client: k8s_client.ApiClient):
    """CRD name -> its annotations, or (why they could not be read, the fix)."""
    try:
        request = api_client.param_serialize("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                             header_params={"Accept": METADATA_ONLY}, auth_settings=["BearerToken"])
        response = api_client.call_api(*request, _request_timeout=TIMEOUT)
        response.read()
        if response.status >= 400:
            return _refused(response.status, response.reason)
        document = json.loads(response.data)
    except ApiException as error:
        return _refused(error.status, error.reason)
    except (HTTPError, OSError, ValueError) as error:
        return f"cannot list CRDs: {_short(error)}", _RETRY_CRD_LIST
    return {item["metadata"]["name"]: item["metadata"].get("annotations") or {}
            for item in document.get("items") or [] if isinstance(item, dict) and item.get("metadata")}


def _refused(status: int, reason: str) -> Tuple[str, str]:
    return f"cannot list CRDs: {status} {reason}", _GRANT_CRD_LIST if status in (401, 403) else _RETRY_CRD_LIST


def _gateway_api(name: str, crds: Dict[str, Dict[str, str]]) -> CheckResult:
    installed = {plural: crds[f"{plural}.{GATEWAY_GROUP}"] for plural in REQUIRED_GATEWAY_CRDS + OPTIONAL_GATEWAY_CRDS
                 if f"{plural}.{GATEWAY_GROUP}" in crds}
    missing = [plural for plural in REQUIRED_GATEWAY_CRDS if plural not in installed]
    if missing:
        return failed(name, f"not installed: {', '.join(missing)}.{GATEWAY_GROUP}", GATEWAY_API_INSTALL_HINT)
    versions = sorted({annotations.get(BUNDLE_VERSION, "unknown") for annotations in installed.values()})
    channels = sorted({annotations.get(CHANNEL, "unknown") for annotations in installed.values()})
    described = (f"bundle {', '.join(versions)} ({', '.join(channels)} channel): {', '.join(installed)}")
    too_old = [v for v in versions if (_version(v) or OLDEST_BUNDLE) < OLDEST_BUNDLE]
    if too_old:
        return failed(name, f"{described}: {', '.join(too_old)} predates v1.0, whose v1 kinds are read",
                      GATEWAY_API_INSTALL_HINT)
    absent = [plural for plural in OPTIONAL_GATEWAY_CRDS if plural not in installed]
    if len(versions) > 1 or "unknown" in versions:
        return warned(name, f"{described}: the CRDs come from different or unknown bundles",
                      "reinstall them from one release: " + GATEWAY_API_INSTALL_HINT.split(": ", 1)[1])
    if absent:
        return passed(name, f"{described}; not installed (none are read): {', '.join(absent)}")
    return passed(name, described)


def _aws_crds(name: str, crds: Dict[str, Dict[str, str]]) -> CheckResult:
    missing = [plural for plural in AWS_CRDS if f"{plural}.{AWS_GROUP}" not in crds]
    if len(missing) == len(AWS_CRDS):
        return warned(name, f"none of the {AWS_GROUP} CRDs is installed: no policy, ServiceExport or "
                      "ServiceImport is read", AWS_CRDS_INSTALL_HINT)
    if missing:
        return warned(name, f"not installed: {', '.join(missing)} (those kinds are not read)", AWS_CRDS_INSTALL_HINT)
    return passed(name, f"installed: {', '.join(AWS_CRDS)}")


def _gateway_class(name: str, api_client: k8s_client.ApiClient, controller_name: str) -> CheckResult:
    """A GatewayClass of our controllerName exists: without one no Gateway is ours."""
    try:
        listed = k8s_client.CustomObjectsApi(api_client).list_cluster_custom_object(
            GATEWAY_GROUP, "v1", "gatewayclasses", _request_timeout=TIMEOUT)
    except ApiException as error:
        if error.status == 404:
            return skipped(name, "GatewayClass is not served (see the Gateway API CRDs check)")
        return skipped(name, f"cannot list GatewayClasses: {error.status} {error.reason}",
                       "grant list on gatewayclasses to check")
    except (HTTPError, OSError) as error:
        return skipped(name, f"cannot list GatewayClasses: {_short(error)}")
    ours = sorted(item["metadata"]["name"] for item in listed.get("items") or []
                  if (item.get("spec") or {}).get("controllerName") == controller_name)
    if ours:
        return passed(name, f"{', '.join(ours)} (controllerName {controller_name})")
    return warned(name, f"no GatewayClass has controllerName {controller_name}, so no Gateway here is ours",
                  "create one (examples/checkout-ab/00-gatewayclass.yaml), or set lattice-gateway:install "
                  "gatewayClass: true to have the stack create it")


def _controller(name: str, api_client: k8s_client.ApiClient, controller_name: str) -> CheckResult:
    try:
        deployments = k8s_client.AppsV1Api(api_client).list_deployment_for_all_namespaces(_request_timeout=TIMEOUT)
    except ApiException as error:
        return skipped(name, f"cannot list Deployments: {error.status} {error.reason}",
                       "grant list on deployments (apps) to check, or look for the controller by hand")
    except (HTTPError, OSError) as error:
        return skipped(name, f"cannot list Deployments: {_short(error)}")
    found = [d for d in deployments.items if _is_aws_controller(d)]
    running = [d for d in found if (d.spec.replicas is None or d.spec.replicas > 0)]
    if not running:
        stopped = f" ({', '.join(_where(d) for d in found)} scaled to zero)" if found else ""
        return passed(name, "none running" + stopped)
    where = ", ".join(f"{_where(d)} ({_image(d)})" for d in running)
    if controller_name != CONTROLLER_NAME:
        return passed(name, f"{where} runs, but lattice-gateway owns GatewayClasses of controllerName "
                      f"{controller_name}, not the controller's")
    first = running[0]
    return failed(name, f"the AWS Gateway API Controller runs in {where}: it owns the same Gateways "
                  f"(controllerName {CONTROLLER_NAME}), and two owners would fight over their Lattice resources",
                  f"scale it down (kubectl -n {first.metadata.namespace} scale deployment {first.metadata.name} "
                  "--replicas=0; docs/migrating.md), or give lattice-gateway a GatewayClass of its own "
                  "(lattice-gateway:controllerName)")


def _is_aws_controller(deployment: Any) -> bool:
    labels = deployment.metadata.labels or {}
    if labels.get(CONTROLLER_LABEL[0]) == CONTROLLER_LABEL[1]:
        return True
    containers = deployment.spec.template.spec.containers or []
    return any(CONTROLLER_IMAGE in (container.image or "") for container in containers)


def _where(deployment: Any) -> str:
    return f"deployment {deployment.metadata.namespace}/{deployment.metadata.name}"


def _image(deployment: Any) -> str:
    return ", ".join(c.image or "?" for c in deployment.spec.template.spec.containers or [])


def _version(text: str) -> Optional[Tuple[int, int]]:
    match = re.match(r"v?(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]

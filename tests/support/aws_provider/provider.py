"""The provider double: ``aws:vpclattice/*`` resources on the VPC Lattice API via boto3.

Each operation is what real pulumi-aws does for these types, as far as our program can
tell: Check fills defaults, Diff decides update or replace from the API model, Create
and Update call the API and read the resource back (waiting out ``*_IN_PROGRESS``),
Read refreshes and reports a resource gone as an empty ID, Delete tolerates one
already gone.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Mapping, Optional

from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import OperationModel
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from tests.support.aws_provider import attachments
from tests.support.aws_provider import check as checking
from tests.support.aws_provider import diff as diffing
from tests.support.aws_provider.api import service_model
from tests.support.aws_provider.config import AwsConfig
from tests.support.aws_provider.invokes import invoke
from tests.support.aws_provider.resources import TAGS, TAGS_ALL, ResourceType, UnknownResourceType, resource_type
from tests.support.aws_provider.values import plain_map, property_map, secret_keys

NOT_FOUND = "ResourceNotFoundException"
POLL_SECONDS = 0.2
DEFAULT_TIMEOUT = 300.0

_KINDS = {
    (diffing.ADD, False): PropertyDiffKind.ADD,
    (diffing.ADD, True): PropertyDiffKind.ADD_REPLACE,
    (diffing.DELETE, False): PropertyDiffKind.DELETE,
    (diffing.DELETE, True): PropertyDiffKind.DELETE_REPLACE,
    (diffing.UPDATE, False): PropertyDiffKind.UPDATE,
    (diffing.UPDATE, True): PropertyDiffKind.UPDATE_REPLACE,
}


class ApiCallFailed(RuntimeError):
    def __init__(self, op: str, request: Mapping[str, Any], code: str, message: str) -> None:
        self.code = code
        # Only what names the resource: other members may hold secrets (a policy).
        named = ", ".join(f"{k}={v}" for k, v in request.items()
                          if isinstance(v, str) and (k == "name" or k.endswith("Identifier")))
        super().__init__(f"VPC Lattice {op}({named}) failed: {code}: {message}")


class AwsProviderDouble(Provider):
    def __init__(self, version: str) -> None:
        self.version = version
        self.config = AwsConfig.from_env()
        self._client: Any = None

    # ----------------------------------------------------------- plumbing

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self.config.client()
        return self._client

    async def _call(self, op: OperationModel, request: Mapping[str, Any]) -> dict[str, Any]:
        method = getattr(self.client, xform_name(op.name))
        try:
            response = await asyncio.to_thread(method, **request)
        except ClientError as error:
            detail = error.response.get("Error", {})
            raise ApiCallFailed(op.name, request, detail.get("Code", ""), detail.get("Message", str(error))) from None
        except ParamValidationError as error:  # botocore refused it before sending
            raise ApiCallFailed(op.name, request, "ParamValidationError", str(error)) from None
        response.pop("ResponseMetadata", None)
        return response

    async def _get(self, rt: ResourceType, resource_id: str) -> Optional[dict[str, Any]]:
        """The resource as Get answers, or None when it is gone."""
        ids = rt.identifiers(resource_id)
        try:
            return await self._call(rt.api.get, {m: ids[m] for m in rt.api.get.input_shape.members})
        except ApiCallFailed as failed:
            if failed.code == NOT_FOUND:
                return None
            raise

    async def _settled(self, rt: ResourceType, resource_id: str, timeout: float) -> dict[str, Any]:
        """Get, until a resource with a status is no longer ``*_IN_PROGRESS``."""
        deadline = time.monotonic() + (timeout or DEFAULT_TIMEOUT)
        while True:
            got = await self._get(rt, resource_id)
            if got is None:
                raise RuntimeError(f"{rt.token} {resource_id} disappeared right after it was written")
            status = str(got.get("status") or "")
            if status.endswith("_FAILED"):
                raise RuntimeError(
                    f"{rt.token} {resource_id} is {status}: "
                    f"{got.get('failureCode', '')} {got.get('failureMessage', '')}".rstrip()
                )
            if not status.endswith("_IN_PROGRESS"):
                return got
            if time.monotonic() > deadline:
                raise TimeoutError(f"{rt.token} {resource_id} still {status} after {timeout or DEFAULT_TIMEOUT:.0f} s")
            await asyncio.sleep(POLL_SECONDS)

    async def _gone(self, rt: ResourceType, resource_id: str, timeout: float) -> None:
        """Wait until Get no longer finds a deleted resource (``DELETE_IN_PROGRESS``)."""
        deadline = time.monotonic() + (timeout or DEFAULT_TIMEOUT)
        while (got := await self._get(rt, resource_id)) is not None:
            if str(got.get("status")).endswith("_FAILED"):
                raise RuntimeError(f"{rt.token} {resource_id} is {got['status']}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{rt.token} {resource_id} still there {timeout or DEFAULT_TIMEOUT:.0f} s after its delete")
            await asyncio.sleep(POLL_SECONDS)

    async def _retag(self, arn: str, old: Mapping[str, str], new: Mapping[str, str]) -> None:
        model = service_model()
        removed = sorted(k for k in old if k not in new)
        if removed:
            await self._call(model.operation_model("UntagResource"), {"resourceArn": arn, "tagKeys": removed})
        changed = {k: v for k, v in new.items() if old.get(k) != v}
        if changed:
            await self._call(model.operation_model("TagResource"), {"resourceArn": arn, "tags": changed})

    async def _tags(self, arn: str) -> dict[str, str]:
        op = service_model().operation_model("ListTagsForResource")
        return (await self._call(op, {"resourceArn": arn})).get("tags") or {}

    @property
    def region(self) -> str:
        return self.config.region or ""

    # ------------------------------------------------------ configuration

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        self.config = AwsConfig.from_inputs(plain_map(request.args), request.variables)
        self._client = None
        # Resource references and output values are not needed by any aws:vpclattice
        # input, so the engine is asked to send plain values (with secrets marked).
        return ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        return CheckResponse(inputs=request.new_inputs)

    async def diff_config(self, request: DiffRequest) -> DiffResponse:
        # changes=None: DIFF_UNKNOWN, so the engine compares the old and new config
        # itself (the experimental server cannot send a detailed config diff).
        return DiffResponse()

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=json.dumps({"name": "aws", "version": self.version}))

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        result = invoke(request.tok, self.config, plain_map(request.args))
        return InvokeResponse(return_value=property_map(result))

    # ----------------------------------------------------------- resources

    async def check(self, request: CheckRequest) -> CheckResponse:
        if attachments.handles(request.type):
            return attachments.check(request)
        try:
            rt = resource_type(request.type)
        except UnknownResourceType as error:
            return CheckResponse(inputs=request.new_inputs, failures=[CheckFailure("", str(error))])
        inputs, failures = checking.check(
            rt, request.name, plain_map(request.old_inputs), plain_map(request.new_inputs),
            request.random_seed, self.config.default_tags,
        )
        secrets = set(secret_keys(request.new_inputs))
        if TAGS in secrets:
            secrets.add(TAGS_ALL)
        return CheckResponse(
            inputs=property_map(inputs, secrets),
            failures=[CheckFailure(prop, reason) for prop, reason in failures] or None,
        )

    async def diff(self, request: DiffRequest) -> DiffResponse:
        if attachments.handles(request.type):
            return attachments.diff(request)
        rt = resource_type(request.type)
        found = diffing.diff(rt, plain_map(request.old_state), plain_map(request.new_inputs),
                             tuple(request.ignore_changes or ()))
        return DiffResponse(
            changes=found.changes,
            replaces=found.replaces,
            diffs=list(found.kinds),
            detailed_diff={
                key: PropertyDiff(_KINDS[(kind, key in found.replaces)], input_diff=True)
                for key, kind in found.kinds.items()
            },
            delete_before_replace=False,
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        if attachments.handles(request.type):
            return await attachments.create(self, request)
        rt = resource_type(request.type)
        inputs = plain_map(request.properties)
        secrets = secret_keys(request.properties)
        if request.preview:
            return CreateResponse(resource_id="", properties=property_map(rt.preview_state(inputs, self.region), secrets))
        call = rt.create_request(inputs)
        created = await self._call(rt.api.create, call)
        resource_id = rt.resource_id(call, created)
        got = await self._settled(rt, resource_id, request.timeout)
        state = rt.state(inputs, [(rt.api.create, created), (rt.api.get, got)], self.region)
        return CreateResponse(resource_id=resource_id, properties=property_map(state, secrets))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        rt = resource_type(request.type)
        olds, news = plain_map(request.olds), plain_map(request.news)
        secrets = secret_keys(request.news)
        computed = {k: v for k, v in olds.items() if k not in diffing.compared_keys(rt)}
        if request.preview:
            kept = {k: v for k, v in olds.items() if k in diffing.compared_keys(rt) and rt.sdk.computed(k)}
            return UpdateResponse(properties=property_map({**computed, **kept, **news}, secrets))
        changed = diffing.diff(rt, olds, news, tuple(request.ignore_changes or ())).kinds
        if set(changed) - {TAGS, TAGS_ALL}:
            call = rt.update_request(request.resource_id, news)
            if call is None:
                raise RuntimeError(
                    f"{rt.token} {request.resource_id}: {sorted(changed)} changed, and no "
                    f"{rt.noun} update call can set them"
                )
            await self._call(rt.api.update, call)
        if TAGS_ALL in changed:
            await self._retag(olds["arn"], olds.get(TAGS_ALL) or {}, news.get(TAGS_ALL) or {})
        got = await self._settled(rt, request.resource_id, request.timeout)
        state = {**computed, **rt.state(news, [(rt.api.get, got)], self.region)}
        return UpdateResponse(properties=property_map(state, secrets))

    async def read(self, request: ReadRequest) -> ReadResponse:
        if attachments.handles(request.type):
            return await attachments.read(self, request)
        rt = resource_type(request.type)
        got = await self._get(rt, request.resource_id)
        if got is None:
            return ReadResponse(resource_id="")
        old_inputs, old_state = plain_map(request.inputs), plain_map(request.properties)
        actual = rt.state({}, [(rt.api.get, got)], self.region, imported=not old_inputs)
        inputs = diffing.refreshed_inputs(rt, old_inputs, actual, rt.identifiers(request.resource_id))
        if rt.has_tags() and actual.get("arn"):
            tags_all = await self._tags(actual["arn"])
            old_tags = old_inputs.get(TAGS) or {}
            own = {k: v for k, v in tags_all.items() if k in old_tags or k not in self.config.default_tags}
            inputs[TAGS] = own or None
            inputs[TAGS_ALL] = tags_all
        computed = {k: v for k, v in old_state.items() if k not in diffing.compared_keys(rt)}
        state = {**computed, **rt.state(inputs, [(rt.api.get, got)], self.region)}
        return ReadResponse(
            resource_id=request.resource_id,
            properties=property_map(state, secret_keys(request.properties)),
            inputs=property_map(inputs, secret_keys(request.inputs)),
        )

    async def delete(self, request: DeleteRequest) -> None:
        if attachments.handles(request.type):
            return await attachments.delete(self, request)
        rt = resource_type(request.type)
        ids = rt.identifiers(request.resource_id)
        try:
            await self._call(rt.api.delete, {m: ids[m] for m in rt.api.delete.input_shape.members})
        except ApiCallFailed as failed:
            if failed.code == NOT_FOUND:
                return
            raise
        if rt.has_status():
            await self._gone(rt, request.resource_id, request.timeout)

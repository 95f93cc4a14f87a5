"""Each ``aws:vpclattice/*`` resource type: its SDK schema joined to its API operations.

Nothing here is written out per type: requests, IDs and outputs follow from the SDK's
property names and botocore's shapes (see ``convert.sdk_name`` for the few places the
two spell a field differently). The only per-type fact is which SDK classes the double
implements, and that the SDK's ``ListenerRule`` is the API's ``Rule``.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from botocore.model import OperationModel, Shape, StructureShape

from tests.support.aws_provider.api import ApiResource, api_resource
from tests.support.aws_provider.convert import outputs_from_api, sdk_name, to_api
from tests.support.aws_provider.sdk import ResourceSchema, resource_schema
from tests.support.aws_provider.values import UNKNOWN

CLASS_NAMES = (
    "ServiceNetwork",
    "ServiceNetworkVpcAssociation",
    "Service",
    "ServiceNetworkServiceAssociation",
    "Listener",
    "ListenerRule",
    "TargetGroup",
    "AuthPolicy",
    "AccessLogSubscription",
)
_API_NOUN = {"ListenerRule": "Rule"}

TAGS, TAGS_ALL, REGION = "tags", "tagsAll", "region"


class UnknownResourceType(ValueError):
    def __init__(self, token: str) -> None:
        known = ", ".join(sorted(t.token for t in resource_types().values()))
        super().__init__(
            f"resource type {token!r} is not implemented by the aws provider double "
            f"(tests/support/aws_provider); it implements: {known}"
        )


@dataclass(frozen=True)
class ResourceType:
    sdk: ResourceSchema
    api: ApiResource

    @property
    def token(self) -> str:
        return self.sdk.token

    @property
    def noun(self) -> str:
        return self.api.noun

    # ------------------------------------------------------------------ names

    def sdk_input(self, member: str) -> Optional[str]:
        return sdk_name(member, self.sdk.inputs.props)

    def parent_value(self, inputs: Mapping[str, Any], member: str) -> Any:
        """A parent identifier from the inputs; a listener may name its service by
        ``serviceArn`` instead of ``serviceIdentifier``."""
        value = inputs.get(self.sdk_input(member) or member)
        if value is None and member.endswith("Identifier"):
            value = inputs.get(member[: -len("Identifier")] + "Arn")
        return value

    # ------------------------------------------------------------------- IDs

    def resource_id(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> str:
        """The ID the real provider gives: the Get URI members joined by ``/``."""
        parts = []
        for member in self.api.id_members:
            if member == self.api.own_identifier:
                parts.append(response["id"])
            else:
                short = member[: -len("Identifier")] + "Id"
                parts.append(response.get(short) or request[member])
        return "/".join(parts)

    def identifiers(self, resource_id: str) -> dict[str, str]:
        members = self.api.id_members
        parts = resource_id.rsplit("/", len(members) - 1) if len(members) > 1 else [resource_id]
        if len(parts) != len(members) or not all(parts):
            raise ValueError(
                f"{self.token}: ID {resource_id!r} is not of the form {'/'.join(members)}"
            )
        return dict(zip(members, parts))

    # -------------------------------------------------------------- requests

    def create_request(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {member: self.parent_value(inputs, member) for member in self.api.parents}
        for member, shape in self.api.body(self.api.create).items():
            if member == "clientToken":
                value: Any = str(uuid.uuid4())
            elif member == TAGS:
                value = dict(inputs.get(TAGS_ALL) or {}) or None
            else:
                value = self._member_value(member, shape, inputs)
            if value is not None:
                request[member] = value
        return request

    def update_request(self, resource_id: str, inputs: Mapping[str, Any]) -> Optional[dict[str, Any]]:
        """The Update (or Put) call that sets ``inputs``; None without an Update, or
        when a member Update requires has no value."""
        op = self.api.update
        if op is None:
            return None
        ids = self.identifiers(resource_id)
        request: dict[str, Any] = {m: ids[m] for m in op.input_shape.members if m in ids}
        for member, shape in self.api.body(op).items():
            value = self._member_value(member, shape, inputs)
            if value is not None:
                request[member] = value
        if not set(op.input_shape.required_members) <= set(request):
            return None
        return request

    def _member_value(self, member: str, shape: Shape, inputs: Mapping[str, Any]) -> Any:
        """API value of a request body member from the SDK inputs (None: none given)."""
        props = self.sdk.inputs.props
        name = sdk_name(member, props)
        if name is not None:
            return to_api(shape, inputs.get(name), props[name].obj)
        # An Update member that Create nests: UpdateTargetGroup's healthCheck is the
        # config.healthCheck of CreateTargetGroup.
        for outer, outer_shape in self.api.body(self.api.create).items():
            outer_name = sdk_name(outer, props)
            if outer_name is not None and isinstance(outer_shape, StructureShape) and member in outer_shape.members:
                return (to_api(outer_shape, inputs.get(outer_name), props[outer_name].obj) or {}).get(member)
        return None

    # --------------------------------------------------------------- outputs

    def state(self, inputs: Mapping[str, Any], responses: Sequence[tuple[OperationModel, Mapping[str, Any]]],
              region: str, *, imported: bool = False) -> dict[str, Any]:
        """Outputs after calls (operation, response): what the API answered (later
        answers win), with every input kept as given so the next diff compares like
        with like.  ``imported``: a resource read with no inputs known (Pulumi's
        import), whose every input is what the API holds."""
        out: dict[str, Any] = {}
        for op, response in responses:
            out.update(outputs_from_api(op.output_shape, response, self.sdk.outputs, self.noun))
        for name in () if imported else self.sdk.inputs.props:
            # An input left out is the API's to fill only where the SDK says it is
            # computed; otherwise absent in, absent out (or the next diff sees it go).
            if inputs.get(name) is None and not self.sdk.computed(name):
                out.pop(name, None)
        out.update({k: v for k, v in inputs.items() if v is not None})
        out[REGION] = inputs.get(REGION) or region
        return out

    def preview_state(self, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
        """Outputs of a create not yet made: inputs as given, everything the provider
        would compute unknown."""
        out = {k: v for k, v in inputs.items() if v is not None}
        out[REGION] = inputs.get(REGION) or region
        for name, prop in self.sdk.outputs.props.items():
            if name in out or name == TAGS:
                continue
            if name not in self.sdk.inputs.props or not prop.optional:
                out[name] = UNKNOWN
        return out

    def has_tags(self) -> bool:
        return TAGS in self.sdk.inputs.props

    def has_status(self) -> bool:
        return "status" in self.api.get.output_shape.members


@functools.lru_cache(maxsize=1)
def resource_types() -> dict[str, ResourceType]:
    out = {}
    for class_name in CLASS_NAMES:
        rt = ResourceType(
            sdk=resource_schema(class_name),
            api=api_resource(_API_NOUN.get(class_name, class_name)),
        )
        out[rt.token] = rt
    return out


def resource_type(token: str) -> ResourceType:
    """By type token.  The experimental SDK's ``request.type`` is the URN's whole
    qualified type (``parent$type``) for a resource with a parent: the type is its last part."""
    token = token.rsplit("$", 1)[-1]
    try:
        return resource_types()[token]
    except KeyError:
        raise UnknownResourceType(token) from None



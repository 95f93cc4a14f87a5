"""What botocore's VPC Lattice model says about one kind of resource: its operations
and the URI members that identify it and its parents."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

import botocore.session
from botocore.model import OperationModel, Shape

SERVICE = "vpc-lattice"

@functools.lru_cache(maxsize=1)
def service_model():
    return botocore.session.get_session().get_service_model(SERVICE)


@dataclass(frozen=True)
class ApiResource:
    noun: str
    """The API's name for it: ``Rule`` for a listener rule, ``AuthPolicy``, ..."""
    create: OperationModel
    get: OperationModel
    update: Optional[OperationModel]
    delete: OperationModel

    @property
    def own_identifier(self) -> str:
        """The URI member naming this resource itself (``ruleIdentifier``)."""
        return self.noun[0].lower() + self.noun[1:] + "Identifier"

    @property
    def id_members(self) -> tuple[str, ...]:
        """URI members of Get, in path order: the parts of the resource's ID.

        ``serviceIdentifier/listenerIdentifier/ruleIdentifier`` for a rule,
        ``resourceIdentifier`` for an auth policy: the real provider's ID formats.
        """
        return _uri_members(self.get)

    @property
    def parents(self) -> tuple[str, ...]:
        """URI members of Create: the resources this one is created under."""
        return _uri_members(self.create)

    def body(self, op: OperationModel) -> dict[str, Shape]:
        return {name: shape for name, shape in op.input_shape.members.items()
                if name not in _uri_members(op)}

    @property
    def put_style(self) -> bool:
        """Created and updated by one Put call (an auth policy)."""
        return self.create.name.startswith("Put")


def _uri_members(op: OperationModel) -> tuple[str, ...]:
    members = op.input_shape.members
    uri = [n for n, s in members.items() if s.serialization.get("location") == "uri"]
    path = op.http["requestUri"]
    return tuple(sorted(uri, key=lambda n: path.index("{" + n)))


@functools.lru_cache(maxsize=None)
def api_resource(noun: str) -> ApiResource:
    model = service_model()
    names = set(model.operation_names)

    def op(verb: str) -> Optional[OperationModel]:
        return model.operation_model(verb + noun) if verb + noun in names else None

    # An auth policy has no Create or Update: PutAuthPolicy is both.
    create = op("Create") or op("Put")
    get, delete = op("Get"), op("Delete")
    if create is None or get is None or delete is None:
        raise KeyError(f"botocore's {SERVICE} model has no Create/Get/Delete for {noun}")
    return ApiResource(noun=noun, create=create, get=get, update=op("Update") or op("Put"), delete=delete)

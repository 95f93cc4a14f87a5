"""The errors the emulator answers with, named as the service model names them."""

from __future__ import annotations

from typing import Any, Iterable

SERVICE_CODE = "vpc-lattice"


class ApiError(Exception):
    """An error response: the model's error code, a message and the shape's other members.

    ``status`` is only set for codes the model does not define (``NotImplemented``);
    modeled codes take their HTTP status from the model.
    """

    def __init__(self, code: str, message: str, *, status: int | None = None, **fields: Any):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = {name: value for name, value in fields.items() if value is not None}


def validation(
    message: str,
    *,
    reason: str = "fieldValidationFailed",
    fields: Iterable[tuple[str, str]] = (),
) -> ApiError:
    field_list = [{"name": name, "message": text} for name, text in fields]
    return ApiError(
        "ValidationException", message, reason=reason, fieldList=field_list or None
    )


def not_found(resource_type: str, resource_id: str) -> ApiError:
    return ApiError(
        "ResourceNotFoundException",
        f"{resource_type} {resource_id} was not found",
        resourceType=resource_type,
        resourceId=resource_id,
    )


def conflict(message: str, resource_type: str, resource_id: str) -> ApiError:
    return ApiError(
        "ConflictException", message, resourceType=resource_type, resourceId=resource_id
    )


def quota_exceeded(
    message: str, resource_type: str, quota: str, resource_id: str | None = None
) -> ApiError:
    return ApiError(
        "ServiceQuotaExceededException",
        message,
        resourceType=resource_type,
        resourceId=resource_id,
        serviceCode=SERVICE_CODE,
        quotaCode=quota,
    )


def not_implemented(what: str) -> ApiError:
    return ApiError(
        "NotImplemented", f"the VPC Lattice emulator does not implement {what}", status=501
    )

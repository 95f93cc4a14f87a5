"""The aws provider's configuration, as far as the double uses it, and its boto3 client.

Configuration reaches Configure either as typed properties (an explicit
``aws.Provider`` resource) or, for the default provider, as the stack's ``aws:*``
config values, which the engine passes as strings (objects and lists as JSON): both
are accepted. Anything else real pulumi-aws takes (``skipCredentialsValidation``,
``skipMetadataApiCheck``, ...) is accepted and has nothing to do here: the double never
calls STS or the metadata service.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import boto3
import botocore.config

DEFAULT_ACCOUNT_ID = "123456789012"
ENDPOINT_KEY = "vpclattice"  # the key of real pulumi-aws's ``endpoints`` entries


@dataclass(frozen=True)
class AwsConfig:
    region: Optional[str] = None
    endpoint: Optional[str] = None
    """From ``endpoints: [{vpclattice: URL}]``; None lets boto3 use
    ``AWS_ENDPOINT_URL_VPC_LATTICE`` or its default."""
    access_key: Optional[str] = None
    secret_key: Optional[str] = None
    token: Optional[str] = None
    profile: Optional[str] = None
    account_id: str = DEFAULT_ACCOUNT_ID
    default_tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_inputs(cls, args: Mapping[str, Any], variables: Mapping[str, str] = {}) -> "AwsConfig":
        """From Configure's ``args`` (plain values), falling back to its legacy
        ``variables`` (``aws:config:region`` -> value)."""
        merged: dict[str, Any] = {key.rsplit(":", 1)[-1]: value for key, value in variables.items()}
        merged.update({k: v for k, v in args.items() if v is not None})
        endpoints = _decoded(merged.get("endpoints")) or []
        endpoint = next((e[ENDPOINT_KEY] for e in endpoints if isinstance(e, Mapping) and e.get(ENDPOINT_KEY)), None)
        default_tags = (_decoded(merged.get("defaultTags")) or {}).get("tags") or {}
        return cls(
            region=merged.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
            endpoint=endpoint,
            access_key=merged.get("accessKey"),
            secret_key=merged.get("secretKey"),
            token=merged.get("token"),
            profile=merged.get("profile"),
            account_id=str(merged.get("accountId") or os.environ.get("AWS_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID),
            default_tags=dict(default_tags),
        )

    @classmethod
    def from_env(cls) -> "AwsConfig":
        return cls.from_inputs({})

    def client(self) -> Any:
        if not self.region:
            raise ValueError(
                "the aws provider double has no region: set the aws:region config or AWS_REGION"
            )
        session = boto3.session.Session(
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            aws_session_token=self.token,
            profile_name=self.profile,
            region_name=self.region,
        )
        # Few retries: the endpoint is an emulator, and a failure should surface quickly.
        retries = botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"})
        return session.client("vpc-lattice", endpoint_url=self.endpoint, config=retries)


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        return json.loads(value) if value.strip() else None
    return value

"""The provider functions our programs call: getRegion, getCallerIdentity, getPartition.

Answers come from the configuration and botocore's endpoint data (partitions, DNS
suffixes, Region descriptions), without calling AWS: the double never has an account.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Mapping

import botocore.session

from tests.support.aws_provider.config import AwsConfig


@functools.lru_cache(maxsize=1)
def _partitions() -> list[dict]:
    return botocore.session.get_session().get_component("data_loader").load_data("endpoints")["partitions"]


def _partition(region: str) -> dict:
    for partition in _partitions():
        if region in partition["regions"] or re.match(partition.get("regionRegex", "$^"), region):
            return partition
    return _partitions()[0]


def get_region(config: AwsConfig, args: Mapping[str, Any]) -> dict[str, Any]:
    region = args.get("region") or args.get("name") or config.region
    if not region:
        raise ValueError("getRegion: no region configured (aws:region or AWS_REGION)")
    partition = _partition(region)
    description = partition["regions"].get(region, {}).get("description", region)
    return {
        "name": region,
        "region": region,
        "id": region,
        "description": description,
        "endpoint": f"ec2.{region}.{partition['dnsSuffix']}",
    }


def get_caller_identity(config: AwsConfig, args: Mapping[str, Any]) -> dict[str, Any]:
    partition = _partition(config.region or "us-east-1")["partition"]
    return {
        "accountId": config.account_id,
        "arn": f"arn:{partition}:iam::{config.account_id}:user/pulumi-aws-double",
        "id": config.account_id,
        "userId": config.account_id,
    }


def get_partition(config: AwsConfig, args: Mapping[str, Any]) -> dict[str, Any]:
    partition = _partition(config.region or "us-east-1")
    dns_suffix = partition["dnsSuffix"]
    return {
        "id": partition["partition"],
        "partition": partition["partition"],
        "dnsSuffix": dns_suffix,
        "reverseDnsPrefix": ".".join(reversed(dns_suffix.split("."))),
    }


FUNCTIONS: dict[str, Callable[[AwsConfig, Mapping[str, Any]], dict[str, Any]]] = {
    "aws:index/getRegion:getRegion": get_region,
    "aws:index/getCallerIdentity:getCallerIdentity": get_caller_identity,
    "aws:index/getPartition:getPartition": get_partition,
}


def invoke(token: str, config: AwsConfig, args: Mapping[str, Any]) -> dict[str, Any]:
    function = FUNCTIONS.get(token)
    if function is None:
        raise ValueError(
            f"function {token!r} is not implemented by the aws provider double "
            f"(tests/support/aws_provider); it implements: {', '.join(sorted(FUNCTIONS))}"
        )
    return function(config, args)

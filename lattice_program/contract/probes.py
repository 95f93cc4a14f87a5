"""The API-model questions the translator's policy checks ask, answered here.

A policy's content (a health check, security groups, a log destination) is checked
against the request VPC Lattice would receive for it, before any route uses it.  The
translator cannot load botocore, so it is handed ``API_PROBES`` (see
``lattice_program.translate.policies.PolicyContract``); identifiers that only exist once
applied are placeholders of the API's own formats.
"""

from __future__ import annotations

from dataclasses import replace
from typing import List, Sequence

from components.specs import TargetGroupSpec
from lattice_program.contract.check import ContractViolation, check_request
from lattice_program.contract.requests import PLACEHOLDER_SERVICE_NETWORK_ID, target_group_request
from lattice_program.vocabulary.settings import PLACEHOLDER_VPC_ID


class ApiProbes:
    def target_group(self, spec: TargetGroupSpec) -> List[ContractViolation]:
        return check_request("CreateTargetGroup", target_group_request(replace(spec, vpc_identifier=PLACEHOLDER_VPC_ID)))

    def vpc_association(self, security_group_ids: Sequence[str]) -> List[ContractViolation]:
        return check_request("CreateServiceNetworkVpcAssociation", {
            "serviceNetworkIdentifier": PLACEHOLDER_SERVICE_NETWORK_ID, "vpcIdentifier": PLACEHOLDER_VPC_ID,
            "securityGroupIds": list(security_group_ids)})

    def access_log_subscription(self, destination_arn: str) -> List[ContractViolation]:
        return check_request("CreateAccessLogSubscription", {
            "resourceIdentifier": PLACEHOLDER_SERVICE_NETWORK_ID, "destinationArn": destination_arn})


API_PROBES = ApiProbes()

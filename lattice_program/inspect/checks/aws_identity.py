"""AWS region and credentials: who the stack would act as.

Only the identity is shown (STS GetCallerIdentity: account and ARN) and where the
credentials came from (botocore's provider name, e.g. ``env`` or ``sso``); never a key.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

from botocore.exceptions import BotoCoreError, ClientError

from lattice_program.inspect.doctor import CheckResult, failed, passed, skipped

REGION = "AWS region"
CREDENTIALS = "AWS credentials"

ClientFactory = Callable[[str, str], Any]  # (service name, region) -> botocore client


SessionFactory = Callable[[], Any]  # -> a boto3.Session; raises BotoCoreError for a broken configuration


def aws_region(session: SessionFactory, stack_region: Optional[str]) -> Optional[str]:
    """The stack's ``aws:region``, else what boto3 resolves (AWS_REGION, the profile);
    None when neither gives one or the AWS configuration cannot be read."""
    return stack_region or _configuration_region(session)[0]


def _configuration_region(session: SessionFactory) -> Tuple[Optional[str], str]:
    try:
        return session().region_name, ""
    except BotoCoreError as error:  # AWS_PROFILE names a profile that does not exist, a broken config file
        return None, str(error)


def check_region(session: SessionFactory, stack_region: Optional[str], stack: Optional[str]) -> CheckResult:
    if stack_region:
        return passed(REGION, f"{stack_region} (the stack's aws:region)")
    region, problem = _configuration_region(session)
    if region:
        return passed(REGION, region)
    if problem:
        return failed(REGION, f"the AWS configuration cannot be read: {problem}",
                      "fix AWS_PROFILE or ~/.aws/config (aws configure list-profiles lists the profiles)")
    where = f"pulumi config set aws:region us-west-2 --stack {stack}" if stack else "export AWS_REGION=us-west-2"
    return failed(REGION, "no region: the stack sets no aws:region and the AWS configuration none either",
                  f"{where} (or set region in your AWS profile)")


def check_credentials(session: SessionFactory, region: Optional[str], make_client: ClientFactory) -> CheckResult:
    if not region:
        return skipped(CREDENTIALS, "needs a region to ask STS")
    try:
        credentials = session().get_credentials()
    except BotoCoreError as error:  # a broken profile, an SSO token that cannot be read
        return failed(CREDENTIALS, f"the AWS configuration cannot be used: {error}",
                      "fix the profile in ~/.aws/config (aws configure list shows what is used)")
    if credentials is None:
        return failed(CREDENTIALS, "no AWS credentials found (environment, profile, SSO, instance role)",
                      "run `aws configure sso` / `aws sso login`, or set AWS_PROFILE to a profile that has them")
    source = getattr(credentials, "method", None) or "unknown source"
    try:
        identity = make_client("sts", region).get_caller_identity()
    except ClientError as error:
        info = error.response.get("Error", {})
        return failed(CREDENTIALS, f"STS GetCallerIdentity refused the credentials from {source}: "
                      f"{info.get('Code', 'error')}: {info.get('Message', '')}".rstrip(": "),
                      "refresh them (aws sso login, or new access keys) and check AWS_PROFILE")
    except BotoCoreError as error:
        return failed(CREDENTIALS, f"STS GetCallerIdentity failed: {error}",
                      f"check the network path to sts.{region}.amazonaws.com and the credentials' configuration")
    return passed(CREDENTIALS, f"account {identity.get('Account')} as {identity.get('Arn')} (credentials from {source})")


def check_aws(session: SessionFactory, stack_region: Optional[str], stack: Optional[str],
              make_client: ClientFactory) -> List[CheckResult]:
    return [check_region(session, stack_region, stack),
            check_credentials(session, aws_region(session, stack_region), make_client)]

"""A strict Amazon VPC Lattice emulator, served over the real rest-json protocol on loopback.

It stands in for AWS in the tests: boto3 clients (``emu.client()``, or any client given
``AWS_ENDPOINT_URL_VPC_LATTICE=emu.url``) send it real HTTP requests.

Why botocore's service model and not moto: moto 5.2.1's ``vpclattice`` backend covers
create/get/list of services, service networks, listeners, target groups and some
associations, plus tags, auth and resource policies and access log subscriptions, but
has no Update/Delete for most resources, no GetRule/UpdateRule/DeleteRule/ListRules, no
Register/Deregister/ListTargets, and checks no conflicts, quotas or patterns; making it
strict would mean patching most of it, on top of a dependency the project does not have.
botocore's model, already installed, describes every operation's method, URI template,
input and output shapes and error codes, so one small generic layer (``protocol``)
routes and parses every request and serializes every answer, the contract module
checks every request before anything else, and only the AWS semantics (``state``) are
written by hand.  The model also gives ``replacement_members``.

Every request: routed by method and URI template; parsed into boto3-style parameters;
recorded in ``emu.calls``; checked by ``lattice_program.contract.check.check_request``
(a violation is a ValidationException); then applied.  An operation that is not
emulated answers 501 ``NotImplemented`` naming it; an error code the model does not
list for the operation is treated as an emulator bug (500, kept in
``emu.internal_errors``).

Behaviour chosen without a source that could confirm it (the rest follows the model's
documentation and the quotas reference):

* DeleteRule on the default rule, UpdateRule on it, a repeated target group in one
  forward action, a TLS_PASSTHROUGH listener without a service custom domain or
  forwarding to a non-TCP group, an HTTP(S) listener forwarding to a TCP group, a
  rule on a TLS_PASSTHROUGH listener: ValidationException.
* TLS_PASSTHROUGH listeners default to port 443.  Omitted forward weights read back as 1.
* Default rules are named ``default``, listed last by ListRules, and do not count
  against ``rules_per_listener``.
* Target groups read back with their defaults filled in (see ``target_groups``);
  UpdateTargetGroup replaces the health check rather than merging into it.
* Malformed targets come back in ``unsuccessful`` with failureCode ``InvalidTarget``;
  deregistering a target that is not registered, with ``TargetNotFound``.  A target's
  status is UNUSED while no listener or rule forwards to its group, UNAVAILABLE with
  health checks off, HEALTHY otherwise (``emu.set_target_status`` pins another), and
  DRAINING after deregistration until ``emu.finish_draining()``.
* GetAuthPolicy/DeleteAuthPolicy with no policy: ResourceNotFoundException.  A policy
  with a newline, not a JSON object, or over ``quotas.auth_policy_bytes``:
  ValidationException.
* One access log subscription per destination type (S3, CloudWatch Logs, Firehose) and
  log type per resource (ConflictException); a service network's log type defaults to
  SERVICE.
* Reusing a clientToken with other parameters: ConflictException.
* Resources are ACTIVE as soon as they are created and gone as soon as they are
  deleted (Delete answers DELETE_IN_PROGRESS where the model has a status).
"""

from .model import replacement_members
from .quotas import Quotas
from .server import ENDPOINT_ENV, LatticeEmulator

__all__ = ["ENDPOINT_ENV", "LatticeEmulator", "Quotas", "replacement_members"]

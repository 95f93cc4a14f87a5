"""A protected stack's service networks carry Pulumi's ``protect``: no update, promotion or
destroy can delete or replace them until someone runs ``pulumi state unprotect``.  Done as a
resource transform registered by the program that applies the stack, so the components
stay as they are and the offline plan is unchanged."""

from __future__ import annotations

from typing import Callable

from lattice_program.promote.preview import SERVICE_NETWORK_TYPES
from lattice_program.vocabulary.settings import StackSettings


def protect_service_networks() -> None:
    """Register, in the running program, a transform that protects every service network."""
    import pulumi

    def transform(args: "pulumi.ResourceTransformArgs"):
        if args.type_ not in SERVICE_NETWORK_TYPES:
            return None
        options = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(protect=True))
        return pulumi.ResourceTransformResult(props=args.props, opts=options)

    pulumi.runtime.register_resource_transform(transform)


def protecting(program: Callable[[], None], settings: StackSettings) -> Callable[[], None]:
    """``program``, with the service networks protected when the stack is (``protect``)."""
    if not settings.protect:
        return program

    def protected_program() -> None:
        protect_service_networks()
        program()
    return protected_program

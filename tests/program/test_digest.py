"""The digest the stack exports: a change the program would apply changes it."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from lattice_program.contract.pipeline import plan
from lattice_program.program.digest import model_digest
from lattice_program.sources.files import load_paths
from lattice_program.vocabulary.settings import StackSettings

CHECKOUT = Path(__file__).resolve().parents[2] / "examples" / "checkout-ab"
VPC = "vpc-0a1b2c3d4e5f60789"


def test_settings_the_program_reads_beside_the_model_change_the_digest():
    """A share or protect added to the stack settings alone must make the daemon update."""
    model = plan(load_paths([str(CHECKOUT)]), StackSettings(vpc_id=VPC)).model
    plain = model_digest(model, StackSettings(vpc_id=VPC))
    assert model_digest(model, StackSettings(vpc_id=VPC)) == plain  # stable
    assert model_digest(model, StackSettings(vpc_id=VPC, protect=True)) != plain
    shared = StackSettings(vpc_id=VPC, sharing={"gateways": {"storefront": {"principals": ["111122223333"]}}})
    assert model_digest(model, shared) != plain
    # Settings the translation already folded into the model (tags, quotas) do not count twice.
    assert model_digest(model, StackSettings(vpc_id=VPC, rules_per_listener=50)) == plain


def test_the_tool_version_is_in_the_digest_and_a_checkout_without_install_still_has_one(monkeypatch):
    """A new release may declare the same model differently, so its digest differs."""
    model = plan(load_paths([str(CHECKOUT)]), StackSettings(vpc_id=VPC)).model
    installed = model_digest(model)

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    from_checkout = model_digest(model)
    assert from_checkout.startswith("sha256:") and from_checkout != installed

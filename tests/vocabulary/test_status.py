"""The status book: one status per object, parents kept once each, problems by object."""

from __future__ import annotations

from lattice_program.vocabulary.status import Condition, ObjectRef, Problem, StatusBook

ROUTE_EAST = ObjectRef("HTTPRoute", "shop", "checkout", cluster="east")
ROUTE_WEST = ObjectRef("HTTPRoute", "shop", "checkout", cluster="west")
OTHER = ObjectRef("HTTPRoute", "shop", "cart")


def test_a_key_resolves_to_the_first_object_seen_with_it():
    book = StatusBook()
    book.status(ROUTE_EAST)
    book.status(ROUTE_WEST)

    assert book.ref_for_key("HTTPRoute/shop/checkout") is ROUTE_EAST
    assert book.ref_for_key("HTTPRoute/shop/cart") is None


def test_the_same_parent_reference_is_one_parent_status():
    book = StatusBook()
    parent_ref = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge"}
    first = book.parent(ROUTE_EAST, parent_ref)
    first.conditions["Accepted"] = Condition("Accepted", "True", "Accepted")

    again = book.parent(ROUTE_EAST, dict(parent_ref))
    other = book.parent(ROUTE_EAST, {**parent_ref, "sectionName": "web"})

    assert again is first and other is not first
    assert [p.parent_ref for p in book.status(ROUTE_EAST).parents] == [parent_ref, {**parent_ref, "sectionName": "web"}]
    assert again.conditions["Accepted"].status == "True"


def test_errors_for_an_object_leave_out_warnings_and_other_objects():
    book = StatusBook()
    error = Problem(ROUTE_EAST, "spec.rules", "too many rules")
    book.problem(error)
    book.problem(Problem(ROUTE_EAST, "metadata", "an old annotation", "warning"))
    book.problem(Problem(ROUTE_WEST, "spec.rules", "too many rules"))
    book.problem(Problem(OTHER, "spec", "refused"))

    assert book.errors_for(ROUTE_EAST) == [error]
    assert book.errors_for(ObjectRef("Gateway", "shop", "edge")) == []

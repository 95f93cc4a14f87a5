"""From the stack's objects and the account's inventory to the adoption report: plan the
program offline, point Gateways at the service networks people made by hand, and match.

A service network the controller found by name but did not make (no ManagedBy tag: the
controller never creates one for a Gateway) is left alone, and the stack is set to use it
as it stands (``serviceNetworks.<gateway>.existing``), so nothing is created in its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Sequence, Tuple

from lattice_program.adopt import inventory as inv
from lattice_program.adopt.inventory import Inventory
from lattice_program.adopt.matching import ResourceMatch, match_plan
from lattice_program.adopt.ownership import ControllerIdentity, Owner, owner_of
from lattice_program.adopt.report import AdoptionReport, build_report
from lattice_program.contract.pipeline import plan
from lattice_program.program.mock_plan import PlannedResource, record_plan
from lattice_program.sources.files import RawObject
from lattice_program.vocabulary.outputs import RULE_PRIORITIES
from lattice_program.vocabulary.settings import ServiceNetworkSettings, StackSettings, merged


@dataclass(frozen=True)
class Survey:
    report: AdoptionReport
    planned: Tuple[PlannedResource, ...]
    settings: StackSettings  # with the hand-made networks referenced
    network_references: Mapping[str, str]  # Gateway name -> ID of the network it now uses as it stands
    previous_outputs: Mapping[str, Any]  # what the program is handed, as if the stack had applied the adopted rules


def survey(objects: Mapping[str, Sequence[RawObject]], settings: StackSettings, inventory: Inventory,
           controller: ControllerIdentity, ours: str, *, stack: str, project: str) -> Survey:
    references = _hand_made_networks(objects, settings, inventory, controller, ours)
    if references:
        networks = dict(settings.service_networks)
        for name, network_id in references.items():
            networks[name] = ServiceNetworkSettings(existing=network_id)
        settings = merged(settings, service_networks=networks)
    planned = tuple(record_plan(plan(objects, settings).model, project=project, stack=stack))
    matches, unclaimed = match_plan(planned, inventory, controller, ours)
    priorities = adopted_priorities(matches)
    if priorities:  # plan again keeping the controller's priorities, as the first up will
        model = plan(objects, settings, previous_outputs=priorities).model
        planned = tuple(record_plan(model, project=project, stack=stack))
        matches, unclaimed = match_plan(planned, inventory, controller, ours)
    notes = tuple(f"Gateway {name}: service network {network_id} has no ManagedBy tag (made by hand, not by the "
                  f"controller); left alone and used as it stands (lattice-gateway:serviceNetworks.{name}.existing)"
                  for name, network_id in sorted(references.items()))
    return Survey(build_report(matches, unclaimed, notes), planned, settings, references, priorities)


def adopted_priorities(matches: Sequence[ResourceMatch]) -> Dict[str, Any]:
    """The matched rules' priorities as the controller left them, in the shape of the
    ``rulePriorities`` stack output: the program keeps every one it can instead of moving
    each rule (priorities.py)."""
    priorities: Dict[str, Dict[str, int]] = {}
    for match in matches:
        if match.planned.type == inv.RULE and match.found is not None:
            route_listener, rule_key = match.planned.name.rsplit("/", 1)
            priorities.setdefault(route_listener, {})[rule_key] = int(match.found.detail["priority"])
    return {RULE_PRIORITIES: priorities} if priorities else {}


def _hand_made_networks(objects: Mapping[str, Sequence[RawObject]], settings: StackSettings, inventory: Inventory,
                        controller: ControllerIdentity, ours: str) -> Dict[str, str]:
    model = plan(objects, settings).model
    untagged: Dict[str, list] = {}
    for network in inventory.of(inv.SERVICE_NETWORK):
        if owner_of(network.tags, controller, ours) is Owner.UNTAGGED and network.name:
            untagged.setdefault(network.name, []).append(network.id)
    references = {}
    for gateway in model.gateways():
        network = gateway.service_network
        if network.existing or network.provided_by or network.name in settings.service_networks:
            continue
        ids = untagged.get(network.name, [])
        if len(ids) == 1:  # two of one name: the Gateway would pick one at random; leave it to a person
            references[network.name] = ids[0]
    return references

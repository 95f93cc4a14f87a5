"""Move a release into another environment: the values that belong to an environment
(cluster names, VPC IDs, service network IDs and ARNs, domains, certificate ARNs) are
rewritten through the receiving stack's ``promotion.rewrite`` maps.

Object identities (``metadata.name``, ``metadata.namespace``) are never rewritten.  What
is left pointing at the sending environment (one of its VPCs, an ARN in another region)
is refused by object and field rather than applied: the receiving account could not use
it, or worse, could.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from lattice_program.vocabulary.settings import RewriteSettings, StackSettings

_HOSTNAME = re.compile(r"^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SERVICE_NETWORK = re.compile(r"^(sn-[0-9a-z]{17}|arn:aws[-a-z]*:vpc-lattice:[^:]*:\d{12}:servicenetwork/sn-[0-9a-z]{17})$")
_ARN = re.compile(r"^arn:aws[-a-z]*:(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>\d{12})?:")


class RewriteError(Exception):
    """Values of the sending environment that the receiving stack's settings do not map."""


@dataclass
class Rewritten:
    objects: Dict[str, List[Any]]
    # "Kind ns/name spec.hostnames[0]: a.dev.example.com -> a.staging.example.com"
    changes: List[str] = field(default_factory=list)


def cluster_map(source: StackSettings, target: StackSettings, rewrite: RewriteSettings, clusters: Sequence[str],
                *, source_stack: str, target_stack: str) -> Dict[str, str]:
    """Which receiving cluster gets each sending cluster's objects."""
    names = [c.name for c in target.cluster_list()]
    if rewrite.clusters:
        mapping = dict(rewrite.clusters)
    elif len(clusters) == 1 and len(names) == 1:
        mapping = {clusters[0]: names[0]}
    else:
        mapping = {name: name for name in clusters}
    missing = [c for c in clusters if mapping.get(c) not in names]
    if missing:
        raise RewriteError(f"stack {target_stack}: lattice-gateway:promotion.rewrite.clusters maps no cluster of "
                           f"{target_stack} ({', '.join(names)}) to cluster(s) {', '.join(missing)} of {source_stack}; "
                           "add them (sending cluster: receiving cluster)")
    return {c: mapping[c] for c in clusters}


def rewrite_release(objects: Mapping[str, List[Any]], source: StackSettings, target: StackSettings, *,
                    source_stack: str, target_stack: str, target_region: Optional[str]) -> Rewritten:
    rewrite = target.promotion.rewrite
    clusters = cluster_map(source, target, rewrite, list(objects), source_stack=source_stack, target_stack=target_stack)
    source_vpcs = {c.vpc_id for c in source.cluster_list()} - set(rewrite.vpcs.values())
    result = Rewritten(objects={})
    problems: List[str] = []
    for cluster, bodies in objects.items():
        moved = result.objects.setdefault(clusters[cluster], [])
        for body in bodies:
            body = copy.deepcopy(body)
            label = _label(body)
            _walk(body, (), rewrite, label, result.changes, problems, source_vpcs, target_region)
            moved.append(body)
    if problems:
        raise RewriteError(f"the release cannot move from {source_stack} to {target_stack} as it is:\n  "
                           + "\n  ".join(problems))
    return result


def _label(body: Any) -> str:
    if not isinstance(body, Mapping):
        return "object"
    metadata = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
    where = "/".join(str(p) for p in (metadata.get("namespace"), metadata.get("name")) if p)
    return f"{body.get('kind', 'object')} {where}"


def _path_text(path: Tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _walk(node: Any, path: Tuple[Any, ...], rewrite: RewriteSettings, label: str, changes: List[str],
          problems: List[str], source_vpcs: set, region: Optional[str]) -> None:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        here = path + (key,)
        if here in (("metadata", "name"), ("metadata", "namespace")):
            continue
        if isinstance(value, (dict, list)):
            _walk(value, here, rewrite, label, changes, problems, source_vpcs, region)
            continue
        if not isinstance(value, str):
            continue
        new = _rewritten(value, rewrite)
        if new != value:
            node[key] = new
            changes.append(f"{label} {_path_text(here)}: {value} -> {new}")
        problem = _left_behind(new, source_vpcs, region)
        if problem:
            problems.append(f"{label} {_path_text(here)}: {new} {problem}")


def _rewritten(value: str, rewrite: RewriteSettings) -> str:
    if value in rewrite.vpcs:
        return rewrite.vpcs[value]
    if value in rewrite.certificates:
        return rewrite.certificates[value]
    if value in rewrite.service_networks and _SERVICE_NETWORK.match(value):
        return rewrite.service_networks[value]
    if _HOSTNAME.match(value):
        for suffix in sorted(rewrite.domains, key=len, reverse=True):
            if value == suffix or value.endswith("." + suffix):
                return value[: len(value) - len(suffix)] + rewrite.domains[suffix]
    return value


def _left_behind(value: str, source_vpcs: set, region: Optional[str]) -> Optional[str]:
    if value in source_vpcs:
        return "is a VPC of the sending stack: map it in lattice-gateway:promotion.rewrite.vpcs"
    arn = _ARN.match(value)
    if arn and region and arn["region"] and arn["region"] != region:
        kind = "certificates" if arn["service"] == "acm" else (
            "serviceNetworks" if arn["service"] == "vpc-lattice" else None)
        where = f"lattice-gateway:promotion.rewrite.{kind}" if kind else "the release (it names another region)"
        return f"is in region {arn['region']}, not {region}: map it in {where}"
    return None

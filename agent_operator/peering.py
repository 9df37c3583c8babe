"""Which of several operator replicas is active: Kopf's peering, set from the operator settings.

With one replica the operator runs standalone. With more, every replica joins the peering object
the chart names in `AGENT_OPERATOR_PEERING_NAME` (a ClusterKopfPeering when serving every
namespace, a KopfPeering in each served namespace otherwise): each one writes a keep-alive
there, and Kopf pauses every replica that sees a live peer of higher priority. So exactly one
replica handles Agents, and when it dies its keep-alive runs out after the peering lifetime and
the next replica resumes.

Priorities must differ: Kopf pauses every replica, the active one too, when two live peers have
the same priority. The priority is the replica's seniority (the older, the higher), with random
low digits: a replica that starts while another is active never takes over from it, so a
restarted pod or a rolling upgrade causes no needless handover, and two replicas that start in
the same millisecond still differ.

Why Kopf's peering and not a Lease: Kopf already gates every watch stream on it, handlers and
daemons included, so a paused replica makes no write through Kopf. The resync and the
children's watches are the operator's own: `follow_pause` reads the peering object by Kopf's
rule and pauses them too, so a replica that was once active never acts on stale memory. A
Lease would need our own election loop and our own gate in front of every Kopf handler,
duplicating what Kopf does.
"""

from __future__ import annotations

import asyncio
import datetime
import getpass
import logging
import os
import random
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import kopf

from agent_operator.kube import Kube, KubeError
from agent_operator.settings import OperatorSettings

#: How often per peering lifetime a replica reads the peering object to learn if it is paused.
CHECKS_PER_LIFETIME = 3
#: Kopf's peering resources.
PEERING_API = "/apis/kopf.dev/v1"

#: Priorities are milliseconds of seniority times this, plus a random tiebreak below it.
TIEBREAK_RANGE = 1000

log = logging.getLogger("agent_operator")


def seniority_priority(started_at: float, tiebreak: int) -> int:
    """A Kopf peering priority: higher for an earlier start; `tiebreak` (0..999) splits ties."""
    if not 0 <= tiebreak < TIEBREAK_RANGE:
        raise ValueError(f"tiebreak must be in [0, {TIEBREAK_RANGE}), not {tiebreak}")
    return -(int(started_at * 1000) * TIEBREAK_RANGE) + tiebreak


def outranked(
    peers: Mapping[str, Any], identity: str, priority: int, now: datetime.datetime
) -> bool:
    """Kopf's rule for pausing, over a peering object's status: a live peer other than this
    replica has a priority as high as this one's or higher."""
    for peer, info in peers.items():
        if peer == identity or not isinstance(info, Mapping):
            continue
        try:
            lastseen = datetime.datetime.fromisoformat(str(info["lastseen"]))
            deadline = lastseen + datetime.timedelta(seconds=int(info.get("lifetime", 60)))
        except (KeyError, ValueError):
            continue
        if deadline > now and int(info.get("priority", 0)) >= priority:
            return True
    return False


def own_identity() -> str:
    """This replica's name among its peers: the pod's name where the chart sets `POD_ID`."""
    pod = os.environ.get("POD_ID")
    if pod:
        return pod
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return f"{getpass.getuser()}@{socket.gethostname()}/{stamp}/{random.randrange(1000):03d}"  # noqa: S311


async def follow_pause(
    kube: Kube,
    kopf_settings: kopf.OperatorSettings,
    identity: str,
    namespaces: Sequence[str],
    on_change: Callable[[bool], None],
) -> None:
    """Tell `on_change` whether Kopf pauses this replica, by Kopf's rule, every few seconds.

    Kopf pauses its own watches and handlers, not the operator's resync and children's
    watches: those ask here. A missing peering object pauses (peering is mandatory).
    """
    peering = kopf_settings.peering
    paths = [f"{PEERING_API}/namespaces/{ns}/kopfpeerings" for ns in namespaces] or [
        f"{PEERING_API}/clusterkopfpeerings"
    ]
    while True:
        try:
            paused = False
            for path in paths:
                items, _version = await kube.list_collection(path, "")
                found = [i for i in items if (i.get("metadata") or {}).get("name") == peering.name]
                now = datetime.datetime.now(datetime.UTC)
                paused = (
                    paused
                    or not found
                    or outranked(found[0].get("status") or {}, identity, peering.priority, now)
                )
            on_change(paused)
        except KubeError as exc:
            log.warning("Did not read KopfPeering %s: %s", peering.name, exc)
        await asyncio.sleep(max(1.0, peering.lifetime / CHECKS_PER_LIFETIME))


def configure_peering(kopf_settings: kopf.OperatorSettings, settings: OperatorSettings) -> None:
    """Standalone without a peering name; otherwise mandatory peering in the named object.

    Called from the start-up handler: Kopf applies `kopf.operator(standalone=...)` before the
    start-up handlers run and reads the peering settings only after them, so this decides.
    """
    peering = kopf_settings.peering
    if not settings.peering_name:
        peering.standalone = True
        return
    peering.standalone = False
    peering.mandatory = True  # a missing peering object pauses the replica, never runs it alone
    peering.name = settings.peering_name
    peering.lifetime = settings.peering_lifetime_seconds
    peering.priority = seniority_priority(time.time(), random.randrange(TIEBREAK_RANGE))  # noqa: S311
    peering.stealth = True  # keep-alives every few seconds are not worth a log line
    log.info(
        "Joined KopfPeering %s with priority %d and a lifetime of %d s",
        peering.name,
        peering.priority,
        peering.lifetime,
    )

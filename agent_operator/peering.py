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
daemons included, so a paused replica makes no write through Kopf. A Lease would need our own
election loop and our own gate in front of every Kopf handler, duplicating what Kopf does.
"""

from __future__ import annotations

import logging
import random
import time

import kopf

from agent_operator.settings import OperatorSettings

#: Priorities are milliseconds of seniority times this, plus a random tiebreak below it.
TIEBREAK_RANGE = 1000

log = logging.getLogger("agent_operator")


def seniority_priority(started_at: float, tiebreak: int) -> int:
    """A Kopf peering priority: higher for an earlier start; `tiebreak` (0..999) splits ties."""
    if not 0 <= tiebreak < TIEBREAK_RANGE:
        raise ValueError(f"tiebreak must be in [0, {TIEBREAK_RANGE}), not {tiebreak}")
    return -(int(started_at * 1000) * TIEBREAK_RANGE) + tiebreak


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

"""Kopf's peering from the operator settings: standalone alone, one active among replicas."""

from __future__ import annotations

import datetime
from typing import Any

import kopf
import pytest

from agent_operator.peering import configure_peering, outranked, seniority_priority
from agent_operator.settings import OperatorSettings


def test_without_a_peering_name_the_operator_runs_standalone() -> None:
    kopf_settings = kopf.OperatorSettings()
    configure_peering(kopf_settings, OperatorSettings.from_env({}))
    assert kopf_settings.peering.standalone is True


def test_with_a_peering_name_peering_is_mandatory_in_that_object() -> None:
    kopf_settings = kopf.OperatorSettings()
    env = {"AGENT_OPERATOR_PEERING_NAME": "ops", "AGENT_OPERATOR_PEERING_LIFETIME_SECONDS": "15"}
    configure_peering(kopf_settings, OperatorSettings.from_env(env))
    peering = kopf_settings.peering
    assert (peering.standalone, peering.mandatory, peering.name) == (False, True, "ops")
    assert peering.lifetime == 15
    assert peering.stealth is True


def test_the_default_lifetime_keeps_failover_below_30_seconds() -> None:
    assert OperatorSettings.from_env({}).peering_lifetime_seconds < 30


def test_an_older_replica_outranks_a_younger_one_whatever_their_tiebreaks() -> None:
    assert seniority_priority(1000.000, tiebreak=0) > seniority_priority(1000.001, tiebreak=999)


def test_replicas_started_in_the_same_millisecond_differ_by_their_tiebreak() -> None:
    # Kopf pauses every replica, the active one too, when two live peers share a priority.
    assert seniority_priority(1000.0, tiebreak=1) != seniority_priority(1000.0, tiebreak=2)


@pytest.mark.parametrize("tiebreak", [-1, 1000])
def test_a_tiebreak_out_of_range_is_refused(tiebreak: int) -> None:
    with pytest.raises(ValueError, match="tiebreak"):
        seniority_priority(1000.0, tiebreak)


def test_a_lifetime_too_short_for_kopf_to_renew_is_refused() -> None:
    with pytest.raises(ValueError, match="peering_lifetime_seconds"):
        OperatorSettings.from_env({"AGENT_OPERATOR_PEERING_LIFETIME_SECONDS": "2"})


NOW = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


def peer(priority: int, seconds_ago: int = 0, lifetime: int = 60) -> dict[str, Any]:
    lastseen = NOW - datetime.timedelta(seconds=seconds_ago)
    return {"priority": priority, "lifetime": lifetime, "lastseen": lastseen.isoformat()}


def test_a_live_peer_of_higher_or_equal_priority_pauses_the_replica() -> None:
    assert outranked({"me": peer(5), "other": peer(6)}, "me", 5, NOW)
    assert outranked({"me": peer(5), "other": peer(5)}, "me", 5, NOW)


def test_lower_dead_or_malformed_peers_and_the_replica_itself_do_not_pause_it() -> None:
    peers = {
        "me": peer(9),
        "lower": peer(4),
        "dead": peer(9, seconds_ago=120),
        "malformed": {"priority": 9, "lastseen": "yesterday"},
        "removed": None,
    }
    assert not outranked(peers, "me", 5, NOW)

"""An answer that arrives after the watch has told what happened next does not turn back time.

Under load the operator's answer to a Deployment apply can reach it after the watch event of
the rollout that followed it (the Deployment controller is quick; the operator's threads are
busy). Each case holds back that answer with the emulator, so the rollout is seen first, lets
the handler that sent the apply finish, and checks the Agent is Ready at its generation, with
no later Deployment event to help.
"""

from __future__ import annotations

from tests.emulator import EmulatorServer
from tests.emulator.faults import Fault
from tests.operator_e2e.agents import Agents, agent
from tests.operator_e2e.operator import RESYNC_SECONDS, OperatorProcess, wait_for

#: Long enough for the stand-in controller's status and its watch event to come first.
LATE_BY_SECONDS = 1.0


def hold_back_the_deployment_apply(cluster: EmulatorServer, name: str) -> Fault:
    return cluster.faults.slow(LATE_BY_SECONDS, verb="patch", resource="deployments", name=name)


def handled(operator: OperatorProcess, line: str) -> None:
    wait_for(lambda: line in operator.log, what=f"the operator to log {line!r}")


def test_a_new_agent_is_ready_though_its_apply_answer_came_after_the_rollout(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    late = hold_back_the_deployment_apply(cluster, "weather")
    agents.create(agent("weather"))
    handled(operator, "Creation is processed")

    assert late.hits == 1
    obj = agents.wait_ready("weather", timeout=RESYNC_SECONDS * 5)
    assert obj["status"]["readyReplicas"] == 1


def test_an_update_is_ready_though_its_apply_answer_came_after_the_rollout(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")

    late = hold_back_the_deployment_apply(cluster, "weather")
    agents.patch("weather", {"spec": {"instructions": "Answer in French."}})
    handled(operator, "Updating is processed")

    assert late.hits == 1
    obj = agents.wait_ready("weather", timeout=RESYNC_SECONDS * 5)
    assert obj["status"]["observedGeneration"] == 2

"""Running an `AgentEvaluation` on this machine: `agent-operator eval EVAL.yaml --agent AGENT.yaml`.

The Agent is rendered in-process by the same builders the operator uses, its runtime started as
`agent-runtime serve` (against `agent-runtime mock-llm` with `--mock`), and each case sent to it
over its HTTP API. Tools are answered by a fake endpoint this run starts (`fakes`), checks are
pure functions of what was observed (`checks`), judge checks ask another model (`judge`), and
the result is the `EvaluationStatus` the operator writes to the resource.
"""

"""The agent runtime: one service that serves any Agent and runs its tool-calling loop on Mistral.

The operator renders an Agent into a `RuntimeConfig` (see `agent_runtime.config`) and mounts it
into the pods; `agent-runtime serve` loads it and serves that one agent over HTTP.
"""

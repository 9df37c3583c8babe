"""The tools an agent offers its model: HTTP endpoints, MCP servers' tools, other agents.

`base` defines what a tool is, `registry` builds the tools of a config and answers the
model's calls by name; one module per kind of tool.
"""

from agent_runtime.tools.base import Tool, ToolError, ToolOutcome
from agent_runtime.tools.registry import ToolRegistry

__all__ = ["Tool", "ToolError", "ToolOutcome", "ToolRegistry"]

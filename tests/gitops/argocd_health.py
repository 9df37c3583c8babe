"""Run deploy/argocd/agent-health.lua as Argo CD does: `obj` set, a health table returned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lupa import LuaRuntime

REPO_ROOT = Path(__file__).resolve().parents[2]
HEALTH_CHECK = REPO_ROOT / "deploy" / "argocd" / "agent-health.lua"


def health(obj: dict[str, Any], script: str | None = None) -> tuple[str, str]:
    """The (status, message) the health check returns for an object."""
    lua = LuaRuntime(unpack_returned_tuples=False)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    # Argo CD runs the script as a chunk; wrapping it in a function makes its `return` ours.
    run = lua.eval("function(source) return load(source)() end")
    result = run(script if script is not None else HEALTH_CHECK.read_text())
    return str(result["status"]), str(result["message"])

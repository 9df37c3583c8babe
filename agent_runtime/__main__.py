"""`python -m agent_runtime`: the same command as `agent-runtime`."""

from agent_runtime.cli import main

raise SystemExit(main())

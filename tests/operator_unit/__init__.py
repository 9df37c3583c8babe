"""Unit and property tests of the Agent API and the pure builders: no cluster, no I/O."""

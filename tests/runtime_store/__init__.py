"""Tests of the conversation stores: one contract, in-process and on a real redis-server."""

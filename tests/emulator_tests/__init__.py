"""Tests of the Kubernetes API emulator itself, through real clients over HTTP."""

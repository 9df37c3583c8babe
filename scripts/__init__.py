"""Maintainers' scripts: the local demo and the release notes, run from a checkout."""

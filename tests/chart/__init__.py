"""Tests of the Helm chart, rendered offline with the Helm SDK."""

"""Tests of the GitOps integration: the Argo CD health check, kstatus readiness, the examples."""

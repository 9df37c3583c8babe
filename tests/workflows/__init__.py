"""Tests of how the project is built and delivered: the Dockerfile and the GitHub workflows."""

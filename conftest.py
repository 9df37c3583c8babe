"""Pytest plugins shared by the whole suite: each line is one fixture module."""

pytest_plugins: list[str] = [
    "tests.emulator.fixtures",
    "tests.runtime_engine.fixtures",
]

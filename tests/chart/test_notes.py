"""The notes `helm install` prints tell the user the next step."""

from __future__ import annotations

from tests.chart.rendering import notes


def test_notes_say_to_create_the_secret_apply_an_agent_and_list_agents() -> None:
    text = notes()
    assert "kubectl create secret generic mistral-secrets" in text
    assert "kubectl apply -f -" in text
    assert "kind: Agent" in text
    assert "kubectl get agents" in text


def test_notes_name_the_watched_namespaces() -> None:
    assert "every namespace" in notes()
    assert "team-a, team-b" in notes({"watch": {"namespaces": ["team-a", "team-b"]}})


def test_notes_warn_when_the_crd_is_not_installed_by_the_chart() -> None:
    assert "crds.enabled=false" not in notes()
    assert "crds.enabled=false" in notes({"crds": {"enabled": False}})

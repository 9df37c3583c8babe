"""The chart the release packages runs the images the release pushed and signed: rendered with
the values the release writes into it, both images are referenced by their digests."""

from __future__ import annotations

import re
from typing import Any

from tests.chart.rendering import operator_container, render
from tests.workflows.workflows import load, steps

PIN = next(s for s in steps(load("release.yml"), "chart") if "yq" in str(s.get("run", "")))
DIGESTS = {"OPERATOR_DIGEST": "sha256:" + "a" * 64, "RUNTIME_DIGEST": "sha256:" + "b" * 64}
OWNER = "agent-operator"


def released_values() -> dict[str, Any]:
    """The values the release's yq expression sets, with stand-in digests."""
    environment = {**DIGESTS, "OWNER": OWNER}
    values: dict[str, Any] = {}
    for path, expression in re.findall(r"\.([\w.]+) = ([^|']+)", PIN["run"]):
        value = re.sub(r"strenv\((\w+)\)", lambda m: f'"{environment[m.group(1)]}"', expression)
        *parents, leaf = path.split(".")
        node = values
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = "".join(re.findall(r'"([^"]*)"', value))
    return values


def test_the_release_sets_both_repositories_and_both_digests() -> None:
    values = released_values()
    assert values["image"] == {
        "repository": f"ghcr.io/{OWNER}/agent-operator",
        "digest": DIGESTS["OPERATOR_DIGEST"],
    }
    assert values["runtime"]["image"] == {
        "repository": f"ghcr.io/{OWNER}/agent-runtime",
        "digest": DIGESTS["RUNTIME_DIGEST"],
    }


def test_the_packaged_chart_runs_both_images_by_the_digest_the_release_pushed() -> None:
    container = operator_container(render(released_values()))
    assert container["image"].endswith("@" + DIGESTS["OPERATOR_DIGEST"])
    runtime = next(e for e in container["env"] if e["name"] == "AGENT_OPERATOR_RUNTIME_IMAGE")
    assert runtime["value"].endswith("@" + DIGESTS["RUNTIME_DIGEST"])

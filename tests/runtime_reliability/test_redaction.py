"""`redact`: a secret value echoed back is replaced, as is and as escaped inside JSON text."""

from __future__ import annotations

import json
from pathlib import Path

from agent_runtime.config import REDACTED, SecretSource, readable_values, redact


def test_a_secret_is_replaced_wherever_it_appears() -> None:
    assert redact("key k3y and k3y again", ["k3y"]) == f"key {REDACTED} and {REDACTED} again"


def test_a_secret_with_characters_json_escapes_is_replaced_inside_json_text() -> None:
    secret = 'pa"ss\\wörd'
    echoed = json.dumps({"headers": {"x-api-key": secret}})
    assert secret not in redact(echoed, [secret])
    assert json.loads(redact(echoed, [secret])) == {"headers": {"x-api-key": REDACTED}}


def test_an_empty_secret_changes_nothing() -> None:
    assert redact("unchanged", ["", "absent"]) == "unchanged"


def test_only_the_secrets_that_can_be_read_are_collected(tmp_path: Path) -> None:
    present = tmp_path / "present"
    present.write_text("value\n")
    sources = [SecretSource(file=str(present)), SecretSource(file=str(tmp_path / "gone")), None]
    assert readable_values(sources) == ["value"]

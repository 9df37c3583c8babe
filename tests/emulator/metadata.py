"""Validation of object metadata that the apiserver applies to every kind: names and labels.

An operator that builds a name or a label value too long, or with a character Kubernetes does
not allow, is refused by a real cluster with a 422; the emulator refuses it the same way, so
such bugs show up in tests rather than in production.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import Cause

DNS1123_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
LABEL_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

# Kinds whose names end up as DNS labels (hostnames), so the apiserver is stricter about them.
LABEL_NAMED_KINDS = frozenset({("", "namespaces"), ("", "services")})

_SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    f"for validation is '{DNS1123_SUBDOMAIN}')"
)
_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    f"used for validation is '{DNS1123_LABEL}')"
)
_LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    f"'my_value',  or '12345', regex used for validation is '{LABEL_VALUE}')"
)
_QUALIFIED_MESSAGE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    f"for validation is '{QUALIFIED_NAME}')"
)


def _full(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def validate_name(key: tuple[str, str], name: str) -> list[Cause]:
    if key in LABEL_NAMED_KINDS:
        if len(name) > 63:
            return [_invalid("metadata.name", name, "must be no more than 63 characters")]
        if not _full(DNS1123_LABEL, name):
            return [_invalid("metadata.name", name, _LABEL_MESSAGE)]
        return []
    if len(name) > 253:
        return [_invalid("metadata.name", name, "must be no more than 253 characters")]
    if not _full(DNS1123_SUBDOMAIN, name):
        return [_invalid("metadata.name", name, _SUBDOMAIN_MESSAGE)]
    return []


def validate_labels(labels: Any) -> list[Cause]:
    if not isinstance(labels, dict):
        return []
    causes: list[Cause] = []
    for label_key, value in labels.items():
        causes += _validate_key("metadata.labels", str(label_key))
        text = str(value)
        if len(text) > 63:
            causes.append(_invalid("metadata.labels", text, "must be no more than 63 characters"))
        elif not _full(LABEL_VALUE, text):
            causes.append(_invalid("metadata.labels", text, _LABEL_VALUE_MESSAGE))
    return causes


def validate_annotation_keys(annotations: Any) -> list[Cause]:
    if not isinstance(annotations, dict):
        return []
    causes: list[Cause] = []
    for annotation_key in annotations:
        causes += _validate_key("metadata.annotations", str(annotation_key))
    return causes


def _validate_key(field: str, key: str) -> list[Cause]:
    prefix, _, name = key.rpartition("/")
    causes: list[Cause] = []
    if prefix and (len(prefix) > 253 or not _full(DNS1123_SUBDOMAIN, prefix)):
        causes.append(_invalid(field, key, "prefix part " + _SUBDOMAIN_MESSAGE))
    if len(name) > 63:
        causes.append(_invalid(field, key, "name part must be no more than 63 characters"))
    elif not _full(QUALIFIED_NAME, name):
        causes.append(_invalid(field, key, _QUALIFIED_MESSAGE))
    return causes


def _invalid(field: str, value: str, detail: str) -> Cause:
    return Cause(field, "FieldValueInvalid", f'Invalid value: "{value}": {detail}')


def validate_metadata(key: tuple[str, str], meta: dict[str, Any]) -> list[Cause]:
    """Everything the apiserver checks in metadata on every write, for every kind."""
    causes = validate_name(key, str(meta.get("name", "")))
    causes += validate_labels(meta.get("labels"))
    causes += validate_annotation_keys(meta.get("annotations"))
    return causes

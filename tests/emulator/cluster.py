"""The apiserver's write semantics over the store: what a create, update or delete does.

Server-owned metadata (uid, resourceVersion, generation, creationTimestamp), generateName,
status-subresource isolation, finalizers and deletionTimestamp, optimistic concurrency,
no-op detection, CRD schema validation, CRD registration, namespace existence, and garbage
collection by owner references. The HTTP layer (`api.py`) and the in-process controllers
both go through these methods, so every path behaves the same.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import datetime
import itertools
import secrets
import uuid
from typing import Any

from . import apply as ssa
from .errors import ApiError, Cause, already_exists, bad_request, conflict, invalid, not_found
from .metadata import validate_metadata
from .resources import (
    CRD_KEY,
    DEPLOYMENT_KEY,
    NAMESPACE_KEY,
    Registry,
    ResourceType,
    types_from_crd,
)
from .schema import prune_and_default, validate_object
from .store import Event, Obj, ObjectKey, ResourceKey, Store

_SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
)
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the apiserver's alphabet for suffixes
_cluster_ips = itertools.count(1)


def now_rfc3339() -> str:
    return datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(obj: Obj, rtype: ResourceType) -> Obj:
    """The part of an object whose change bumps `metadata.generation`."""
    skipped = {"metadata", "status"} if rtype.has_status else {"metadata"}
    return {k: v for k, v in obj.items() if k not in skipped and k not in ("apiVersion", "kind")}


def _comparable(obj: Obj) -> Obj:
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in ("resourceVersion",)}
    return {**obj, "metadata": meta}


class Cluster:
    """Resource types, objects, ownership and the rules binding them."""

    def __init__(self, store: Store | None = None, registry: Registry | None = None) -> None:
        self.store = store if store is not None else Store()
        self.registry = registry if registry is not None else Registry()
        self._ownership: dict[tuple[ResourceKey, ObjectKey], ssa.Ownership] = {}
        self._dependents: dict[str, set[tuple[ResourceKey, ObjectKey]]] = {}
        self._uids: dict[str, tuple[ResourceKey, ObjectKey]] = {}
        self.create(self._rtype(NAMESPACE_KEY), None, {"metadata": {"name": "default"}})

    def _rtype(self, key: ResourceKey) -> ResourceType:
        rtype = self.registry.by_key(key)
        assert rtype is not None
        return rtype

    # --- reading --------------------------------------------------------------------------

    def get(self, rtype: ResourceType, namespace: str | None, name: str) -> Obj:
        obj = self.store.get(rtype.key, namespace if rtype.namespaced else None, name)
        if obj is None:
            raise not_found(rtype.plural, rtype.group, name)
        return obj

    def find(self, rtype: ResourceType, namespace: str | None, name: str) -> Obj | None:
        return self.store.get(rtype.key, namespace if rtype.namespaced else None, name)

    def ownership(self, rtype: ResourceType, namespace: str | None, name: str) -> ssa.Ownership:
        return self._ownership.get((rtype.key, (namespace, name)), {})

    # --- creating -------------------------------------------------------------------------

    def create(
        self,
        rtype: ResourceType,
        namespace: str | None,
        body: Obj,
        *,
        ownership: ssa.Ownership | None = None,
    ) -> Obj:
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        namespace = self._namespace_for_create(rtype, namespace, meta)
        name = meta.get("name")
        if not name:
            prefix = meta.get("generateName")
            if not prefix:
                raise invalid(
                    rtype.kind,
                    rtype.group,
                    "",
                    [
                        Cause(
                            "metadata.name",
                            "FieldValueRequired",
                            "Required value: name or generateName is required",
                        )
                    ],
                )
            name = self._generate_name(rtype, namespace, prefix)
        if self.store.get(rtype.key, namespace, name) is not None:
            raise already_exists(rtype.plural, rtype.group, name)
        for field in _SERVER_METADATA:
            meta.pop(field, None)
        meta["name"] = name
        if rtype.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        if rtype.has_status:
            obj.pop("status", None)
        self._builtin_defaults(rtype, obj)
        obj = self._validated(rtype, obj, None)
        meta = obj["metadata"]
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        meta["generation"] = 1
        meta["resourceVersion"] = str(self.store.next_revision())
        key = (rtype.key, (meta.get("namespace"), name))
        if ownership:
            self._ownership[key] = ownership
            self._render_managed_fields(rtype, obj, ownership)
        if rtype.key == CRD_KEY:
            self._register_crd(obj)
        self._index(rtype.key, obj)
        self.store.put(rtype.key, obj, "ADDED")
        return obj

    def _namespace_for_create(
        self, rtype: ResourceType, namespace: str | None, meta: dict[str, Any]
    ) -> str | None:
        if not rtype.namespaced:
            return None
        body_ns = meta.get("namespace")
        if namespace and body_ns and body_ns != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        namespace = namespace or body_ns
        if not namespace:
            raise bad_request("namespace is required for a namespaced resource")
        if self.store.get(NAMESPACE_KEY, None, namespace) is None:
            raise not_found("namespaces", "", namespace)
        return str(namespace)

    def _generate_name(self, rtype: ResourceType, namespace: str | None, prefix: str) -> str:
        for _ in range(100):
            suffix = "".join(secrets.choice(_GENERATE_ALPHABET) for _ in range(5))
            if self.store.get(rtype.key, namespace, prefix + suffix) is None:
                return prefix + suffix
        raise ApiError(500, "could not generate a unique name")

    def _builtin_defaults(self, rtype: ResourceType, obj: Obj) -> None:
        """The few server-side conversions of built-ins that clients can observe."""
        if rtype.key == NAMESPACE_KEY:
            obj["status"] = {"phase": "Active"}
        elif rtype.key == ("", "secrets") and "stringData" in obj:
            data = obj.setdefault("data", {}) or {}
            for k, v in (obj.pop("stringData") or {}).items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            obj["data"] = data
        elif rtype.key == ("", "services"):
            spec = obj.setdefault("spec", {})
            if spec.get("type") != "ExternalName" and not spec.get("clusterIP"):
                n = next(_cluster_ips)
                spec["clusterIP"] = f"10.96.{n // 250 % 250}.{n % 250 + 1}"
            spec.setdefault("type", "ClusterIP")
        elif rtype.key == DEPLOYMENT_KEY and isinstance(obj.get("spec"), dict):
            obj["spec"].setdefault("replicas", 1)  # also re-defaulted when an update drops it

    # --- updating -------------------------------------------------------------------------

    def update(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        body: Obj,
        *,
        subresource: str | None = None,
        ownership: ssa.Ownership | None = None,
    ) -> Obj:
        """Replace an object (PUT semantics; patches are computed into a full body first)."""
        namespace = namespace if rtype.namespaced else None
        old = self.get(rtype, namespace, name)
        expected = (body.get("metadata") or {}).get("resourceVersion")
        if expected and str(expected) != old["metadata"]["resourceVersion"]:
            raise conflict(rtype.plural, rtype.group, name)
        new = self._merge_server_fields(rtype, old, copy.deepcopy(body), subresource)
        if rtype.key == DEPLOYMENT_KEY:
            self._builtin_defaults(rtype, new)
        if old["metadata"].get("deletionTimestamp"):
            added = set(new["metadata"].get("finalizers") or []) - set(
                old["metadata"].get("finalizers") or []
            )
            if added:
                raise invalid(
                    rtype.kind,
                    rtype.group,
                    name,
                    [
                        Cause(
                            "metadata.finalizers",
                            "FieldValueForbidden",
                            "Forbidden: no new finalizers can be added if the object is being "
                            "deleted, found new finalizers " + repr(sorted(added)),
                        )
                    ],
                )
        new = self._validated(rtype, new, old)
        key = (rtype.key, (namespace, name))
        old_ownership = self._ownership.get(key, {})
        new_ownership = old_ownership if ownership is None else ownership
        if new_ownership:
            self._render_managed_fields(rtype, new, new_ownership)
        if _comparable(new) == _comparable(old):
            return old  # a no-op: no new resourceVersion, no watch event
        if new_ownership:
            self._ownership[key] = new_ownership
        meta = new["metadata"]
        if _content(new, rtype) != _content(old, rtype):
            meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
        meta["resourceVersion"] = str(self.store.next_revision())
        if rtype.key == CRD_KEY:
            self._register_crd(new)
        self._unindex(rtype.key, old)
        self._index(rtype.key, new)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            self._remove(rtype, new, fresh_revision=False)
        else:
            self.store.put(rtype.key, new, "MODIFIED")
        return new

    def _merge_server_fields(
        self, rtype: ResourceType, old: Obj, new: Obj, subresource: str | None
    ) -> Obj:
        if subresource == "status":
            result = copy.deepcopy(old)
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
            return result
        if rtype.has_status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        meta = new.get("metadata")
        if not isinstance(meta, dict):
            meta = new["metadata"] = {}
        old_meta = old["metadata"]
        for field in (*_SERVER_METADATA, "name", "namespace"):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        new["apiVersion"], new["kind"] = rtype.api_version, rtype.kind
        return new

    def _validated(self, rtype: ResourceType, obj: Obj, old: Obj | None) -> Obj:
        causes = validate_metadata(rtype.key, obj["metadata"])
        if rtype.schema is not None:
            obj = prune_and_default(rtype.schema, obj, root=True)
            causes += validate_object(rtype.schema, obj, old)
        if causes:
            raise invalid(rtype.kind, rtype.group, obj["metadata"].get("name", ""), causes)
        return obj

    def _render_managed_fields(
        self, rtype: ResourceType, obj: Obj, ownership: ssa.Ownership
    ) -> None:
        obj["metadata"]["managedFields"] = [
            {
                "manager": manager,
                "operation": "Apply",
                "apiVersion": rtype.api_version,
                "fieldsType": "FieldsV1",
                "fieldsV1": ssa.render_fields_v1(paths),
            }
            for manager, paths in sorted(ownership.items())
        ]

    # --- applying -------------------------------------------------------------------------

    def apply(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        config: Obj,
        manager: str,
        *,
        subresource: str | None = None,
    ) -> tuple[Obj, bool]:
        """Server-side apply; returns the object and whether it was created."""
        if not isinstance(config, dict):
            raise bad_request("the applied configuration must be an object")
        meta = config.get("metadata") or {}
        if meta.get("name") and meta["name"] != name:
            raise bad_request("the name of the object does not match the name in the URL")
        if config.get("kind") and config["kind"] != rtype.kind:
            raise bad_request(f"the kind {config['kind']!r} does not match {rtype.kind!r}")
        namespace = namespace if rtype.namespaced else None
        existing = self.find(rtype, namespace, name)
        ownership = self.ownership(rtype, namespace, name) if existing is not None else {}
        merged, new_ownership = ssa.apply_config(existing, config, manager, ownership)
        if existing is None:
            merged.setdefault("metadata", {})["name"] = name
            return self.create(rtype, namespace, merged, ownership=new_ownership), True
        if not meta.get("resourceVersion"):
            merged["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
        updated = self.update(
            rtype, namespace, name, merged, subresource=subresource, ownership=new_ownership
        )
        return updated, False

    # --- deleting -------------------------------------------------------------------------

    def delete(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        *,
        propagation: str = "Background",
        precondition_uid: str | None = None,
        precondition_rv: str | None = None,
    ) -> Obj:
        namespace = namespace if rtype.namespaced else None
        obj = self.get(rtype, namespace, name)
        meta = obj["metadata"]
        if precondition_uid and precondition_uid != meta["uid"]:
            raise conflict(rtype.plural, rtype.group, name)
        if precondition_rv and precondition_rv != meta["resourceVersion"]:
            raise conflict(rtype.plural, rtype.group, name)
        if meta.get("deletionTimestamp"):
            return obj
        if meta.get("finalizers"):
            marked = copy.deepcopy(obj)
            marked["metadata"]["deletionTimestamp"] = now_rfc3339()
            marked["metadata"]["deletionGracePeriodSeconds"] = 0
            marked["metadata"]["resourceVersion"] = str(self.store.next_revision())
            self.store.put(rtype.key, marked, "MODIFIED")
            if rtype.key == NAMESPACE_KEY:
                self._empty_namespace(name)
            return marked
        return self._remove(rtype, obj, fresh_revision=True, orphan=propagation == "Orphan")

    def _remove(
        self, rtype: ResourceType, obj: Obj, *, fresh_revision: bool, orphan: bool = False
    ) -> Obj:
        if fresh_revision:
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.store.next_revision())
        self._unindex(rtype.key, obj)
        meta = obj["metadata"]
        self._ownership.pop((rtype.key, (meta.get("namespace"), meta["name"])), None)
        self.store.remove(rtype.key, obj)
        if rtype.key == CRD_KEY:
            self._unregister_crd(obj)
        if rtype.key == NAMESPACE_KEY:
            self._empty_namespace(meta["name"])
        uid = meta["uid"]
        if orphan:
            self._dependents.pop(uid, None)
        else:
            self._schedule(lambda: self.collect_garbage(uid))
        return obj

    def _schedule(self, callback: Any) -> None:
        try:
            asyncio.get_running_loop().call_soon(callback)
        except RuntimeError:  # no loop (direct use in a plain function): collect right away
            callback()

    def _empty_namespace(self, namespace: str) -> None:
        """The namespace controller's job, done at once: delete everything inside."""
        for rtype in self.registry.all():
            if not rtype.namespaced or self.registry.by_key(rtype.key) is not rtype:
                continue
            for obj in self.store.items(rtype.key, namespace):
                self._delete_quietly(rtype, obj)

    def _delete_quietly(self, rtype: ResourceType, obj: Obj) -> None:
        meta = obj["metadata"]
        with contextlib.suppress(ApiError):  # already gone
            self.delete(rtype, meta.get("namespace"), meta["name"])

    # --- garbage collection ---------------------------------------------------------------

    def _index(self, key: ResourceKey, obj: Obj) -> None:
        meta = obj["metadata"]
        ref = (key, (meta.get("namespace"), meta["name"]))
        self._uids[meta["uid"]] = ref
        for owner in meta.get("ownerReferences") or []:
            if isinstance(owner, dict) and owner.get("uid"):
                self._dependents.setdefault(owner["uid"], set()).add(ref)

    def _unindex(self, key: ResourceKey, obj: Obj) -> None:
        meta = obj["metadata"]
        ref = (key, (meta.get("namespace"), meta["name"]))
        if self._uids.get(meta["uid"]) == ref:
            del self._uids[meta["uid"]]
        for owner in meta.get("ownerReferences") or []:
            if isinstance(owner, dict) and owner.get("uid"):
                self._dependents.get(owner["uid"], set()).discard(ref)

    def collect_garbage(self, owner_uid: str) -> None:
        """Delete the dependents of a vanished owner whose other owners are gone too."""
        for key, (namespace, name) in sorted(self._dependents.pop(owner_uid, set())):
            rtype = self.registry.by_key(key)
            obj = self.store.get(key, namespace, name)
            if rtype is None or obj is None:
                continue
            owners = [o.get("uid") for o in obj["metadata"].get("ownerReferences") or []]
            if any(uid in self._uids for uid in owners if uid != owner_uid):
                continue
            self._delete_quietly(rtype, obj)

    # --- custom resource definitions ------------------------------------------------------

    def _register_crd(self, crd: Obj) -> None:
        self.registry.remove_crd(crd["metadata"]["name"])  # objects are kept
        for rtype in types_from_crd(crd):
            self.registry.add(rtype)
        names = crd.get("spec", {}).get("names", {})
        crd["status"] = {
            "acceptedNames": names,
            "storedVersions": [
                v["name"] for v in crd.get("spec", {}).get("versions", []) if v.get("storage")
            ],
            "conditions": [
                {
                    "type": "NamesAccepted",
                    "status": "True",
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                    "lastTransitionTime": now_rfc3339(),
                },
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": now_rfc3339(),
                },
            ],
        }

    def _unregister_crd(self, crd: Obj) -> None:
        for rtype in self.registry.remove_crd(crd["metadata"]["name"]):
            if self.registry.by_key(rtype.key) is None:
                for obj in self.store.drop_resource(rtype.key):
                    self._unindex(rtype.key, obj)


def listener_for(key: ResourceKey, callback: Any) -> Any:
    """Wrap a callback to be told only about events of one resource."""

    def listener(event_key: ResourceKey, event: Event) -> None:
        if event_key == key:
            callback(event)

    return listener

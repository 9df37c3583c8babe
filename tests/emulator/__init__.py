"""A Kubernetes API emulator for the operator's tests and benchmarks.

Built on kmock's KubernetesEmulator and made faithful where Kopf and the `kubernetes` client
depend on the apiserver's behaviour. Start it with :class:`EmulatorServer` (a background
thread), the `k8s` pytest fixture (:mod:`tests.emulator.fixtures`), or
`python -m tests.emulator --port N`.

Simplifications, each chosen because nothing the operator or Kopf does depends on the detail:
- strategic merge patch is served as a JSON merge patch;
- server-side apply owns leaf paths per manager, replaces lists atomically, never reports
  conflicts (every apply acts as `force=true`) and does not track owners from PUT/PATCH;
- watches filter on the new state of an object (no synthetic ADDED/DELETED when an object
  moves into or out of a label selector); BOOKMARKs are sent at `timeoutSeconds` and at the
  end of `sendInitialEvents`;
- garbage collection is background for every propagationPolicy except Orphan (which leaves
  dependents and their ownerReferences alone); Foreground acts as Background;
- deleting a namespace deletes its contents at once (objects with finalizers wait for them);
  creating in a namespace that does not exist answers 404, as the real server does;
- one version per resource is stored (a CRD's storage version is the served one);
- built-in kinds are not schema-validated; custom resources are, against their CRD.
"""

from .cluster import Cluster
from .emulator import Emulator
from .errors import ApiError
from .recorder import RecordedRequest, Recorder
from .server import EmulatorServer, kubeconfig_document

__all__ = [
    "ApiError",
    "Cluster",
    "Emulator",
    "EmulatorServer",
    "RecordedRequest",
    "Recorder",
    "kubeconfig_document",
]

{{/*
Every permission the operator holds is declared in this file, and nowhere else.
Grouped by purpose: "Framework" is what Kopf itself needs to serve the Agent resource,
"Application" is what the operator's handlers do. No wildcards; Secrets are only read.
*/}}

{{/*
Rules that only make sense cluster-wide (watch.namespaces empty): cluster-scoped resources.
*/}}
{{- define "agent-operator.rbac.clusterRules" -}}
# Framework: Kopf's resource observer, so an Agent CRD installed or upgraded after the operator
# started is noticed without a restart (without it, Kopf only scans discovery at start-up).
- apiGroups: ["apiextensions.k8s.io"]
  resources: ["customresourcedefinitions"]
  verbs: ["list", "watch"]
{{- if include "agent-operator.peering" . }}
# Framework: peering between the replicas. Kopf watches the release's ClusterKopfPeering to see
# its peers and patches it with its own keep-alive.
- apiGroups: ["kopf.dev"]
  resources: ["clusterkopfpeerings"]
  verbs: ["list", "watch", "patch"]
{{- end }}
{{- end }}

{{/*
Rules granted in every served namespace: through a ClusterRole when watching all namespaces,
through a Role in each listed namespace otherwise. Namespaces themselves are never listed:
the chart passes exact names (`-n NAME`), so Kopf needs no namespace observation.
*/}}
{{- define "agent-operator.rbac.namespacedRules" -}}
# Framework: Kopf lists and watches the Agents it serves.
- apiGroups: ["agent-operator.io"]
  resources: ["agents"]
  verbs: ["list", "watch"]
# Framework: Kopf patches Agents for its finalizer and its progress annotations.
- apiGroups: ["agent-operator.io"]
  resources: ["agents"]
  verbs: ["patch"]
# Framework: Kopf posts Kubernetes events about handlers onto the Agents.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- if and (include "agent-operator.peering" .) (not (include "agent-operator.clusterWide" .)) }}
# Framework: peering between the replicas. Kopf watches the release's KopfPeering in each served
# namespace to see its peers and patches it with its own keep-alive.
- apiGroups: ["kopf.dev"]
  resources: ["kopfpeerings"]
  verbs: ["list", "watch", "patch"]
{{- end }}
# Application: the operator writes each Agent's status (conditions, replicas, endpoint).
- apiGroups: ["agent-operator.io"]
  resources: ["agents/status"]
  verbs: ["patch"]
# Application: the children of each Agent, written with server-side apply (patch; create for an
# object that does not exist yet) and read back. The garbage collector deletes them with their
# Agent, so the operator itself never deletes these.
- apiGroups: [""]
  resources: ["configmaps", "services", "serviceaccounts"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "create", "patch"]
# Application: the optional children, also deleted when the spec no longer asks for them (a
# disruption budget when scaled to one replica, an autoscaler when autoscaling is turned off).
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "create", "patch", "delete"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "create", "patch", "delete"]
# Application: each child's owner reference blocks its Agent's deletion until the child is gone
# (blockOwnerDeletion); where the OwnerReferencesPermissionEnforcement admission plugin runs,
# setting that needs update on the owner's finalizers. The only finalizer set is Kopf's, on an
# Agent published on Mistral's platform with deletionPolicy Delete (added by patching the Agent).
- apiGroups: ["agent-operator.io"]
  resources: ["agents/finalizers"]
  verbs: ["update"]
# Application: the operator lists and watches every kind of child (managed label only), so a
# child deleted or edited by hand is restored at once and the status follows the rollout.
- apiGroups: [""]
  resources: ["configmaps", "services", "serviceaccounts"]
  verbs: ["list", "watch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["list", "watch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["list", "watch"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["list", "watch"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["list", "watch"]
# Application: the operator checks that the Secrets and keys an Agent references exist, and
# reads the model's API key of an Agent published on Mistral's platform, to call the Agents
# API with it. Read-only, by name (no list or watch): it never writes Secrets and never copies
# their values. resourceNames cannot narrow it: each Agent names its own Secret.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}

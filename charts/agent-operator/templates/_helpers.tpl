{{/*
The chart name, overridable with nameOverride.
Truncated to 63 characters: Kubernetes label values and DNS-1123 names are limited to that.
*/}}
{{- define "agent-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name that prefixes every object of the release.
Truncated to 63 characters because some Kubernetes name fields (Service names, label values)
are limited to a DNS-1123 label; the trailing "-" a cut may leave is trimmed.
When the release name already contains the chart name, it is used as is.
*/}}
{{- define "agent-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label ("+" is not allowed in label values).
*/}}
{{- define "agent-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object of the release.
*/}}
{{- define "agent-operator.labels" -}}
helm.sh/chart: {{ include "agent-operator.chart" . }}
{{ include "agent-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agent-operator
{{- end }}

{{/*
Selector labels: the stable subset that a Deployment's selector and a Service match on.
*/}}
{{- define "agent-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agent-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
The operator's ServiceAccount name.
*/}}
{{- define "agent-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "agent-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The operator image reference: pinned by `image.digest` when set, else by the tag, which defaults
to the chart's appVersion.
*/}}
{{- define "agent-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The default runtime image of Agents: pinned by `runtime.image.digest` when set, else by the tag,
which defaults to the chart's appVersion.
*/}}
{{- define "agent-operator.runtimeImage" -}}
{{- if .Values.runtime.image.digest }}
{{- printf "%s@%s" .Values.runtime.image.repository .Values.runtime.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.runtime.image.repository (default .Chart.AppVersion .Values.runtime.image.tag) }}
{{- end }}
{{- end }}

{{/*
True ("true") when the operator watches every namespace.
*/}}
{{- define "agent-operator.clusterWide" -}}
{{- if not .Values.watch.namespaces }}true{{ end }}
{{- end }}

{{/*
"true" when several operator replicas run: they then use Kopf's peering (one active, the others
on standby) instead of running standalone, and get a PodDisruptionBudget.
*/}}
{{- define "agent-operator.peering" -}}
{{- if gt (int .Values.replicaCount) 1 }}true{{ end }}
{{- end }}

{{/*
The name of the peering object the replicas share: one per release, so two releases never pause
each other.
*/}}
{{- define "agent-operator.peeringName" -}}
{{- .Values.peering.name | default (include "agent-operator.fullname" .) }}
{{- end }}

{{/*
The metrics Service name: the full name cut to leave room for "-metrics" within 63 characters.
*/}}
{{- define "agent-operator.metricsServiceName" -}}
{{- printf "%s-metrics" (include "agent-operator.fullname" . | trunc 55 | trimSuffix "-") }}
{{- end }}

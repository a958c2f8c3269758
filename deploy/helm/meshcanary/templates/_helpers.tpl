{{/* meshcanary.name is the chart's name, or nameOverride. */}}
{{- define "meshcanary.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* meshcanary.fullname names the release's objects. */}}
{{- define "meshcanary.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "meshcanary.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "meshcanary.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* meshcanary.selectorLabels select the controller's pods. */}}
{{- define "meshcanary.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshcanary.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* meshcanary.labels go on every object of the release. */}}
{{- define "meshcanary.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "meshcanary.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: meshcanary
{{- end }}

{{/* meshcanary.serviceAccountName is the controller's ServiceAccount. */}}
{{- define "meshcanary.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "meshcanary.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* meshcanary.tokenDir is where the Prometheus bearer token Secret is mounted. */}}
{{- define "meshcanary.tokenDir" -}}
/var/run/secrets/meshcanary/prometheus
{{- end }}

{{/*
meshcanary.rules are the controller's permissions in a watched namespace (or, in a
ClusterRole, in every namespace): exactly the calls it makes, and no Secrets.
*/}}
{{- define "meshcanary.rules" -}}
# The user's Deployments (read, scaled; an older version's status annotation removed) and the primaries it owns.
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
# The pod-template-hash of the canary's current ReplicaSet.
- apiGroups: ["apps"]
  resources: ["replicasets"]
  verbs: ["list"]
# The Service to split, found by its selector.
- apiGroups: [""]
  resources: ["services"]
  verbs: ["list", "watch"]
# The Service's endpoints: the canary gets weight once its pods are ready endpoints.
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["list", "watch"]
# The twin of a HorizontalPodAutoscaler that targets the user's Deployment.
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
# The routing it patches or creates, and the release status it keeps in the VirtualService.
- apiGroups: ["networking.istio.io"]
  resources: ["virtualservices", "destinationrules"]
  verbs: ["get", "list", "watch", "create", "update", "delete"]
# An Event for every transition (client-go's core/v1 event recorder).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* meshcanary.notifyDir is where the Secret of notification receiver NAME is mounted. */}}
{{- define "meshcanary.notifyDir" -}}
/var/run/secrets/meshcanary/notify/{{ . }}
{{- end }}

{{/*
The rules in a namespace where the controller only splits VirtualServices it
does not own (virtualServiceNamespaces outside watchNamespaces): read, watch
and update them; never create or delete.
*/}}
{{- define "meshcanary.virtualServiceRules" -}}
- apiGroups: ["networking.istio.io"]
  resources: ["virtualservices"]
  verbs: ["get", "list", "watch", "update"]
{{- end }}

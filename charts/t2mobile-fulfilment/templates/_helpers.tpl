{{/* Chart name, overridable. */}}
{{- define "t2m.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped name; objects of a service are "<fullname>-<service>". */}}
{{- define "t2m.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of a service's objects. Usage: include "t2m.componentName" (dict "root" $ "name" "gateway") */}}
{{- define "t2m.componentName" -}}
{{- printf "%s-%s" (include "t2m.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "t2m.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "t2m.labels" -}}
helm.sh/chart: {{ include "t2m.chart" . }}
app.kubernetes.io/name: {{ include "t2m.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: t2mobile-fulfilment
{{- end -}}

{{/* Selector of one service's pods. Usage: include "t2m.selectorLabels" (dict "root" $ "name" "gateway") */}}
{{- define "t2m.selectorLabels" -}}
app.kubernetes.io/name: {{ include "t2m.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Labels of one service's objects. */}}
{{- define "t2m.componentLabels" -}}
{{ include "t2m.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "t2m.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "t2m.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "t2m.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The variables that are secrets: they only ever come from .Values.existingSecret. */}}
{{- define "t2m.secretNames" -}}
T2MOBILE_API_KEY MONGODB_URL ZOHO_ORGANIZATION_ID ZOHO_CLIENT_ID ZOHO_CLIENT_SECRET ZOHO_REFRESH_TOKEN T2MOBILE_WEBHOOK_SECRET T2MOBILE_WEBHOOK_SECRETS T2MOBILE_WEBHOOK_URL NATS_PASSWORD RPC_TOKEN_GATEWAY RPC_TOKEN_FULFILMENT RPC_TOKEN_PROVISIONING RPC_TOKEN_NOTIFICATION RPC_TOKEN_GATEWAY_SHA256 RPC_TOKEN_FULFILMENT_SHA256 RPC_TOKEN_PROVISIONING_SHA256 RPC_TOKEN_NOTIFICATION_SHA256 RPC_TOKEN_OPERATOR_SHA256 SANDBOX_LICENCE_KEY
{{- end -}}

{{/*
A service's non-secret environment, as the data of its ConfigMap (YAML, keys
sorted). Usage: include "t2m.configData" (dict "root" $ "name" "gateway" "svc" $svc)
*/}}
{{- define "t2m.configData" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $data := dict
      "NODE_ENV" $v.nodeEnv
      "LOG_LEVEL" $v.logLevel
      "HOST" "0.0.0.0"
      "PORT" (toString .svc.port)
      "SHUTDOWN_TIMEOUT_MS" (toString (int64 $v.shutdownTimeoutMs)) -}}
{{- range $use := .svc.uses -}}
{{- if eq $use "nats" -}}
{{- $_ := set $data "NATS_URL" $v.nats.url -}}
{{- else if eq $use "jetstreamConsumer" -}}
{{- $_ := set $data "NATS_ACK_WAIT_MS" (toString (int64 $v.nats.ackWaitMs)) -}}
{{- else if eq $use "zoho" -}}
{{- $_ := set $data "ZOHO_ACCOUNTS_URL" $v.zoho.accountsUrl -}}
{{- $_ := set $data "ZOHO_API_URL" $v.zoho.apiUrl -}}
{{- $_ := set $data "ZOHO_TIMEOUT_MS" (toString (int64 $v.zoho.timeoutMs)) -}}
{{- $_ := set $data "ZOHO_BUDGET_CALLS_PER_MINUTE" (toString (int64 $v.zoho.budget.callsPerMinute)) -}}
{{- $_ := set $data "ZOHO_BUDGET_MAX_CONCURRENT" (toString (int64 $v.zoho.budget.maxConcurrent)) -}}
{{- $_ := set $data "ZOHO_BUDGET_MAX_WAIT_MS" (toString (int64 $v.zoho.budget.maxWaitMs)) -}}
{{- else if eq $use "licences" -}}
{{- if $v.licences.provisioner -}}
{{- $_ := set $data "LICENCE_PROVISIONER" $v.licences.provisioner -}}
{{- end -}}
{{- else if eq $use "manualLicences" -}}
{{- $_ := set $data "MANUAL_LICENCE_POLL_SECONDS" (toString $v.licences.manualPollSeconds) -}}
{{- $_ := set $data "MANUAL_LICENCE_GIVE_UP_HOURS" (toString $v.licences.manualGiveUpHours) -}}
{{- else if eq $use "webhook" -}}
{{- $_ := set $data "WEBHOOK_RETRY_DELAYS_MS" $v.webhook.retryDelaysMs -}}
{{- if $v.webhook.retryDelaysByType -}}
{{- $_ := set $data "WEBHOOK_RETRY_DELAYS_BY_TYPE" $v.webhook.retryDelaysByType -}}
{{- end -}}
{{- $_ := set $data "WEBHOOK_THROTTLE_FLOOR_MS" (toString (int64 $v.webhook.throttleFloorMs)) -}}
{{- $_ := set $data "WEBHOOK_RETRY_AFTER_MAX_MS" (toString (int64 $v.webhook.retryAfterMaxMs)) -}}
{{- $_ := set $data "WEBHOOK_ENDPOINT_DISABLE_AFTER_DEAD" (toString (int64 $v.webhook.disableAfterDead)) -}}
{{- $_ := set $data "WEBHOOK_ENDPOINT_DISABLE_AFTER_MS" (toString (int64 $v.webhook.disableAfterMs)) -}}
{{- $_ := set $data "WEBHOOK_TIMEOUT_MS" (toString (int64 $v.webhook.timeoutMs)) -}}
{{- $_ := set $data "WEBHOOK_CONCURRENCY" (toString (int64 $v.webhook.concurrency)) -}}
{{- else -}}
{{- $target := index $v.services $use | default dict -}}
{{- if not $target.port -}}
{{- fail (printf "services.%s.uses: %q is neither a settings group nor a service of this chart" $.name $use) -}}
{{- end -}}
{{- $_ := set $data (printf "%s_URL" (upper $use)) (printf "http://%s:%d" (include "t2m.componentName" (dict "root" $root "name" $use)) (int $target.port)) -}}
{{- end -}}
{{- end -}}
{{- range $key, $value := $v.commonEnv -}}
{{- $_ := set $data $key (toString $value) -}}
{{- end -}}
{{- range $key, $value := .svc.extraEnv -}}
{{- $_ := set $data $key (toString $value) -}}
{{- end -}}
{{- $secrets := splitList " " (include "t2m.secretNames" $root) -}}
{{- range $key, $_ := $data -}}
{{- if has $key $secrets -}}
{{- fail (printf "%s is a secret: it must come from the Secret %q, not from values" $key $v.existingSecret) -}}
{{- end -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* terminationGracePeriodSeconds: the preStop sleep, then SHUTDOWN_TIMEOUT_MS (rounded up), then a margin. */}}
{{- define "t2m.terminationGracePeriodSeconds" -}}
{{- $shutdown := div (add (int64 .Values.shutdownTimeoutMs) 999) 1000 -}}
{{- add $shutdown (int64 .Values.preStopSleepSeconds) 5 -}}
{{- end -}}

{{/* The hardened pod securityContext every pod of the chart runs with (services and jobs). */}}
{{- define "t2m.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The hardened container securityContext (services and jobs). */}}
{{- define "t2m.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The Secret's key for a variable a service reads: the variable's own name,
except NATS_PASSWORD, which each service reads from NATS_PASSWORD_<SERVICE>
(its own NATS user's password). Usage: include "t2m.secretKey" (dict "name" "fulfilment" "var" "NATS_PASSWORD")
*/}}
{{- define "t2m.secretKey" -}}
{{- if eq .var "NATS_PASSWORD" -}}
{{- printf "NATS_PASSWORD_%s" (upper .name) -}}
{{- else -}}
{{- .var -}}
{{- end -}}
{{- end -}}

{{/*
A service's env entries: pod identity for telemetry, then its secrets from
existingSecret (secretEnv required, optionalSecretEnv optional). Usage:
include "t2m.podEnv" (dict "root" $ "name" "gateway" "svc" $svc)
*/}}
{{- define "t2m.podEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),service.namespace=t2mobile"
{{- $secret := required "existingSecret must name the Secret that holds the services' secrets" .root.Values.existingSecret }}
{{- $service := .name }}
{{- range $secretName := .svc.secretEnv }}
- name: {{ $secretName }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ include "t2m.secretKey" (dict "name" $service "var" $secretName) }}
{{- end }}
{{- range $secretName := (.svc.optionalSecretEnv | default list) }}
- name: {{ $secretName }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $secretName }}
      optional: true
{{- end }}
{{- end -}}

{{- /*
The Protobuf services each process serves (services/topology's RpcServices;
a chart test keeps them equal): the operator Ingress routes
/<package>.<Service>/… to that process, and the NetworkPolicies let the
ingress controller reach exactly those processes.
*/ -}}
{{- define "t2m.rpcServices" -}}
catalogue:
  - t2mobile.catalogue.v1.CatalogueService
fulfilment:
  - t2mobile.fulfilment.v1.FulfilmentService
  - t2mobile.partners.v1.PartnerService
provisioning:
  - t2mobile.provisioning.v1.ProvisioningService
  - t2mobile.provisioning.v1.SubscriptionService
  - t2mobile.provisioning.v1.LicenceTaskService
  - t2mobile.provisioning.v1.ProvisioningJobService
notification:
  - t2mobile.notification.v1.NotificationService
  - t2mobile.notification.v1.NotificationJobService
{{- end }}

// The stand-in JupyterHub chart for offline real-engine tests.
//
// The chart repository is unreachable offline and the chart's templates are not available here.
// The stand-in is the real chart's Chart.yaml, values.yaml and values.schema.json (so Helm checks
// the program's values against the real schema, merged with the real defaults) plus the
// project's own minimal template. What it does NOT cover: the real templates (hub and proxy
// Deployments, RBAC, NetworkPolicies, user scheduler, pre-puller), i.e. whether z2jh renders
// these values into working objects. The service-level login test covers the values' meaning.
import * as fs from "node:fs";
import * as path from "node:path";

import { chartDataDir } from "./helpers";

/**
 * Minimal template: what the hub would receive, plus the Services users reach. Like the real
 * chart, the proxy token is taken from the live Secret through `lookup` (else generated), the
 * hub and the proxy read it as CONFIGPROXY_AUTH_TOKEN from that Secret (which the program's
 * transform points at its own), the proxy's pods carry a checksum of it, the hub Deployment rolls
 * on a checksum of its Secret, and hub.existingSecret is mounted.
 */
const TEMPLATE = `{{- /* Stand-in for z2jh's templates: not the real chart. */ -}}
{{- $live := lookup "v1" "Secret" .Release.Namespace "hub" | default (dict "data" (dict)) }}
{{- $token := index $live.data "hub.config.ConfigurableHTTPProxy.auth_token" | default (randAlphaNum 64 | b64enc) }}
apiVersion: v1
kind: Secret
metadata:
  name: hub
  labels: {app: jupyterhub, component: hub, chart: stand-in}
type: Opaque
data:
  values.yaml: {{ toYaml .Values | b64enc | quote }}
  hub.config.ConfigurableHTTPProxy.auth_token: {{ $token | quote }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hub
  labels: {app: jupyterhub, component: hub}
spec:
  replicas: 1
  selector:
    matchLabels: {app: jupyterhub, component: hub}
  template:
    metadata:
      labels: {app: jupyterhub, component: hub}
      annotations:
        checksum/values: {{ toYaml .Values | sha256sum }}
    spec:
      securityContext:
        {{- toYaml .Values.hub.podSecurityContext | nindent 8 }}
      containers:
        - name: hub
          image: "{{ .Values.hub.image.name }}:{{ .Values.hub.image.tag }}"
          securityContext:
            {{- toYaml .Values.hub.containerSecurityContext | nindent 12 }}
          resources:
            {{- toYaml .Values.hub.resources | nindent 12 }}
          env:
            - name: CONFIGPROXY_AUTH_TOKEN
              valueFrom:
                secretKeyRef: {name: hub, key: hub.config.ConfigurableHTTPProxy.auth_token}
          volumeMounts:
            - {name: config, mountPath: /usr/local/etc/jupyterhub/secret/}
            - {name: existing, mountPath: /usr/local/etc/jupyterhub/existing-secret/}
      volumes:
        - name: config
          secret: {secretName: hub}
        - name: existing
          secret: {secretName: {{ required "hub.existingSecret must be set" .Values.hub.existingSecret }}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: proxy
  labels: {app: jupyterhub, component: proxy}
spec:
  replicas: 1
  selector:
    matchLabels: {app: jupyterhub, component: proxy}
  template:
    metadata:
      labels: {app: jupyterhub, component: proxy}
      annotations:
        checksum/auth-token: {{ $token | b64dec | sha256sum | trunc 4 | quote }}
    spec:
      containers:
        - name: chp
          image: "{{ .Values.proxy.chp.image.name }}:{{ .Values.proxy.chp.image.tag }}"
          securityContext:
            {{- toYaml .Values.proxy.chp.containerSecurityContext | nindent 12 }}
          resources:
            {{- toYaml .Values.proxy.chp.resources | nindent 12 }}
          env:
            - name: CONFIGPROXY_AUTH_TOKEN
              valueFrom:
                secretKeyRef: {name: hub, key: hub.config.ConfigurableHTTPProxy.auth_token}
---
apiVersion: v1
kind: Service
metadata:
  name: hub
  labels: {app: jupyterhub, component: hub}
spec:
  type: ClusterIP
  selector: {app: jupyterhub, component: hub}
  ports: [{name: hub, port: 8081, targetPort: 8081}]
---
apiVersion: v1
kind: Service
metadata:
  name: proxy-public
  labels: {app: jupyterhub, component: proxy-public}
spec:
  type: {{ .Values.proxy.service.type }}
  selector: {app: jupyterhub, component: proxy}
  ports: [{name: http, port: 80, targetPort: 8000}]
`;

/** Assembles the stand-in chart under `dir` and returns its path. */
export function assembleStandInChart(dir: string): string {
    const chart = path.join(dir, "jupyterhub");
    fs.mkdirSync(path.join(chart, "templates"), { recursive: true });
    for (const f of ["Chart.yaml", "values.yaml", "values.schema.json"]) {
        fs.copyFileSync(path.join(chartDataDir(), f), path.join(chart, f));
    }
    fs.writeFileSync(path.join(chart, "templates", "standin.yaml"), TEMPLATE);
    return chart;
}

/** Objects the stand-in renders, as kind/name. */
export const STANDIN_OBJECTS = ["Secret/hub", "Deployment/hub", "Deployment/proxy", "Service/hub", "Service/proxy-public"];

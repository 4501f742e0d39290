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

import { chartDataDir } from "../helpers";

/** Minimal template: what the hub would receive, plus the Services users reach. */
const TEMPLATE = `{{- /* Stand-in for z2jh's templates: not the real chart. */ -}}
apiVersion: v1
kind: Secret
metadata:
  name: hub
  labels: {app: jupyterhub, component: hub, chart: stand-in}
type: Opaque
data:
  values.yaml: {{ toYaml .Values | b64enc | quote }}
  hub.config.ConfigurableHTTPProxy.auth_token: {{ required "proxy.secretToken must be set" .Values.proxy.secretToken | b64enc | quote }}
  hub.config.JupyterHub.cookie_secret: {{ required "hub.cookieSecret must be set" .Values.hub.cookieSecret | b64enc | quote }}
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
          volumeMounts:
            - {name: config, mountPath: /usr/local/etc/jupyterhub/secret/}
      volumes:
        - name: config
          secret: {secretName: hub}
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
  selector: {app: jupyterhub, component: hub}
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
export const STANDIN_OBJECTS = ["Secret/hub", "Deployment/hub", "Service/hub", "Service/proxy-public"];

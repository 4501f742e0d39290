// The z2jh chart's hub and proxy Deployments as the chart renders them, cut to what the program's
// transforms of the chart (components/hub/transforms.ts) read and write, for tests without the chart's
// templates. What they stand for, in z2jh 4.4.0: jupyterhub/templates/hub/deployment.yaml and
// proxy/deployment.yaml each set CONFIGPROXY_AUTH_TOKEN from `secretKeyRef` of the chart's Secret
// `hub`, key `hub.config.ConfigurableHTTPProxy.auth_token`; the proxy's pods carry the chart's
// `checksum/auth-token` (4 hex digits of a sha256 of the token), the hub's `checksum/secret`.
import type * as pulumi from "@pulumi/pulumi";

import { get } from "./helpers";

export type ChartDeployment = "hub" | "proxy" | "user-scheduler";

/** The Deployment `name` as rendered; `env` replaces its container's environment. */
export function z2jhDeployment(name: ChartDeployment, env?: unknown[]): Record<string, unknown> {
    const tokenRef = { name: "CONFIGPROXY_AUTH_TOKEN", valueFrom: { secretKeyRef: { name: "hub", key: "hub.config.ConfigurableHTTPProxy.auth_token" } } };
    const rendered = {
        hub: {
            env: [{ name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }, tokenRef],
            annotations: { "checksum/config-map": "c".repeat(64), "checksum/secret": "d".repeat(64) },
        },
        proxy: { env: [tokenRef], annotations: { "checksum/auth-token": "3f2a", "checksum/proxy-secret": "e".repeat(64) } },
        "user-scheduler": { env: undefined, annotations: { "checksum/config-map": "f".repeat(64) } },
    }[name];
    const container = name === "proxy" ? "chp" : name;
    const containerEnv = env ?? rendered.env;
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, labels: { app: "jupyterhub", component: name } },
        spec: {
            replicas: 1,
            template: {
                metadata: { labels: { app: "jupyterhub", component: name }, annotations: rendered.annotations },
                spec: { containers: [{ name: container, image: `${container}:1`, ...(containerEnv ? { env: containerEnv } : {}) }] },
            },
        },
    };
}

export type TransformResult = { props: Record<string, unknown> } | undefined;

/** What a transform makes of an object of the chart (a Deployment unless `type` says otherwise). */
export function applyTransform(t: pulumi.ResourceTransform, props: Record<string, unknown>, type = "kubernetes:apps/v1:Deployment"): TransformResult {
    const args = { type, name: `jupyterhub:${String(get(props, "metadata.name"))}`, props, opts: {}, custom: true } as unknown as pulumi.ResourceTransformArgs;
    return t(args) as TransformResult;
}

/** Every transform in order, as the engine applies a resource's list; the object as rendered when none changes it. */
export function applyTransforms(
    ts: pulumi.ResourceTransform[],
    props: Record<string, unknown>,
    type = "kubernetes:apps/v1:Deployment",
): Record<string, unknown> {
    return ts.reduce((p, t) => applyTransform(t, p, type)?.props ?? p, props);
}

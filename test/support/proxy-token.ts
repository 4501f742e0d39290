// Where the proxy's token is, in a live stack: followed from the hub and proxy Deployments to the
// Secrets they read, and in the stack's state. For the engine suites (test/e2e).
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";

import { PROXY_TOKEN_ENV, PROXY_TOKEN_KEY } from "../../components/hub";
import { EngineProject } from "./engine-project";

interface Container {
    name: string;
    env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
    volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface Deployment {
    metadata: { generation: number };
    spec: {
        template: {
            metadata: { annotations?: Record<string, string> };
            spec: { containers: Container[]; volumes?: Array<{ name: string; secret?: { secretName: string } }> };
        };
    };
}

/** Where z2jh mounts hub.existingSecret in the hub's container (4.4.0 jupyterhub/templates/hub/deployment.yaml). */
const EXISTING_SECRET_MOUNT = "/usr/local/etc/jupyterhub/existing-secret/";

export function deployment(project: EngineProject, ns: string, name: string): Deployment {
    return JSON.parse(project.kubectl(["get", "deployment", name, "-n", ns, "-o", "json"])) as Deployment;
}

/** A live Secret's data, decoded. */
export function secretData(project: EngineProject, ns: string, name: string): Record<string, string> {
    const s = JSON.parse(project.kubectl(["get", "secret", name, "-n", ns, "-o", "json"])) as { data?: Record<string, string> };
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/** What the Deployment's pods get as CONFIGPROXY_AUTH_TOKEN: its one secretKeyRef, followed to the live Secret. */
export function tokenRead(project: EngineProject, ns: string, name: string): { secret: string; key: string; token: string } {
    const refs = deployment(project, ns, name)
        .spec.template.spec.containers.flatMap((c) => c.env ?? [])
        .filter((e) => e.name === PROXY_TOKEN_ENV);
    assert.equal(refs.length, 1, `${name}: one ${PROXY_TOKEN_ENV}`);
    const ref = refs[0].valueFrom?.secretKeyRef;
    assert.ok(ref, `${name}: ${PROXY_TOKEN_ENV} comes from a Secret`);
    return { secret: ref.name, key: ref.key, token: secretData(project, ns, ref.name)[ref.key] };
}

/** The hub's existing Secret (the one mounted where z2jh's get_secret_value looks first) and the token under the key z2jh names. */
export function existingSecretToken(project: EngineProject, ns: string): { secret: string; token: string } {
    const spec = deployment(project, ns, "hub").spec.template.spec;
    const mount = spec.containers.flatMap((c) => c.volumeMounts ?? []).find((m) => m.mountPath === EXISTING_SECRET_MOUNT);
    const secret = spec.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName;
    assert.ok(secret, "the hub mounts an existing Secret");
    return { secret, token: secretData(project, ns, secret)[PROXY_TOKEN_KEY] };
}

/** A value of `pulumi stack export --show-secrets`: secrets come as {plaintext: "<JSON>"}. */
function plain(v: unknown): unknown {
    if (typeof v === "object" && v !== null && "plaintext" in v) return JSON.parse((v as { plaintext: string }).plaintext) as unknown;
    return v;
}

/** The generated token in the stack's state (hub-secrets-proxy-token, components/own-secret.ts), decrypted; undefined where there is none. */
export function stateToken(project: EngineProject, stack?: string): { urn: string; token: string } | undefined {
    const r = project.resources(stack, true).find((x) => x.type === "pulumi-nodejs:dynamic:Resource" && x.urn.endsWith("::hub-secrets-proxy-token"));
    return r ? { urn: r.urn, token: plain(r.outputs?.value) as string } : undefined;
}

/**
 * Asserts that the proxy's pods, the hub's pods (through their secretKeyRefs), the hub's existing
 * Secret and the state hold the same token, the program's (in HUB_SECRET), with its fingerprint on
 * both pod templates; returns it and a line saying where it was read.
 */
export function assertOneToken(
    project: EngineProject,
    ns: string,
    hubSecret: string,
    fingerprint: (t: string) => string,
    stack?: string,
): { token: string; urn: string; line: string } {
    const state = stateToken(project, stack);
    assert.ok(state, "the state holds the generated proxy token");
    assert.match(state.token, /^[0-9a-f]{64}$/, "32 random bytes, hex");
    const proxy = tokenRead(project, ns, "proxy");
    const hub = tokenRead(project, ns, "hub");
    const existing = existingSecretToken(project, ns);
    assert.deepEqual(
        { proxy: proxy.secret, hub: hub.secret, existing: existing.secret },
        { proxy: hubSecret, hub: hubSecret, existing: hubSecret },
        "both read the program's Secret",
    );
    assert.deepEqual({ proxy: proxy.token, hub: hub.token, existing: existing.token }, { proxy: state.token, hub: state.token, existing: state.token });
    for (const name of ["hub", "proxy"]) {
        assert.equal(
            deployment(project, ns, name).spec.template.metadata.annotations?.["checksum/auth-token"],
            fingerprint(state.token),
            `${name}'s checksum/auth-token`,
        );
    }
    const line =
        `proxy reads ${proxy.secret}/${proxy.key}, hub reads ${hub.secret}/${hub.key} and has ${existing.secret} as its existing Secret, ` +
        `state ${state.urn.split("::").pop()}: one token (sha256 ${sha256Prefix(state.token)}), checksum/auth-token ${fingerprint(state.token)} on both`;
    return { token: state.token, urn: state.urn, line };
}

/** Names a secret in a log line without showing it. */
export function sha256Prefix(s: string): string {
    return createHash("sha256").update(s).digest("hex").slice(0, 12);
}

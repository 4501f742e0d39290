// Shared by the journey (test/journey/journey.test.ts) and the time-to-ready benchmark
// (test/bench/ready.ts): the dev stack's shape on the real node, its readiness, the proxy's address,
// and a user as the hub sees one (a login through the proxy, an API token, their server).
import * as assert from "node:assert/strict";

import { Browser } from "./browser";
import { EngineProject } from "./engine-project";
import { installLocalRwx } from "./local-rwx";

/**
 * The ReadWriteMany class of the real node (test/support/local-rwx.ts), made the cluster's default:
 * the dev stack's database and directory claims name no class. Returns its name.
 */
export function installJourneyClass(): string {
    const { className, seconds } = installLocalRwx({ isDefault: true });
    console.log(`# ${className} installed in ${seconds.toFixed(1)} s`);
    return className;
}

/**
 * The dev stack's shape on this machine: the class `storageClass` instead of
 * in-cluster NFS, which the kernel here lacks; waiting for readiness; and a link to the shared
 * folder in each home (postStart), without which the server's contents API, rooted at the home,
 * cannot reach /mnt/shared.
 */
export function journeyConfig(project: EngineProject, storageClass: string): Record<string, unknown> {
    const dev = project.devConfig();
    // serverStorageSize is the in-cluster NFS server's: refused in storage-class mode
    const nfs = Object.fromEntries(Object.entries(dev["jupyterhub:nfs"] as Record<string, unknown>).filter(([k]) => k !== "serverStorageSize"));
    const singleuser = dev["jupyterhub:singleuser"] as Record<string, unknown>;
    const shared = (nfs.shared as { mountPath: string }).mountPath;
    return {
        "jupyterhub:skipAwait": false,
        "jupyterhub:nfs": { ...nfs, mode: "storage-class", storageClass },
        "jupyterhub:singleuser": { ...singleuser, postStart: `ln -sfn ${shared} "$HOME/shared"` },
    };
}

interface Workload {
    metadata: { name: string; namespace: string };
    spec?: { replicas?: number };
    status?: { readyReplicas?: number; conditions?: Array<{ type: string; status: string }> };
}
/** Deployments and StatefulSets not Ready, Jobs not Complete, pods not on the real node: empty when all are. */
export function notReady(project: EngineProject): string[] {
    const kubectl = (args: string[]) => project.kubectl(args);
    const items = (kinds: string) => (JSON.parse(kubectl(["get", kinds, "-A", "-o", "json"])) as { items: Workload[] }).items;
    const where = (w: Workload) => `${w.metadata.namespace}/${w.metadata.name}`;
    const bad: string[] = [];
    for (const kind of ["deployments", "statefulsets"]) {
        for (const w of items(kind)) if ((w.status?.readyReplicas ?? 0) < (w.spec?.replicas ?? 1)) bad.push(`${kind} ${where(w)}`);
    }
    for (const j of items("jobs")) {
        if (!j.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True")) bad.push(`job ${where(j)}`);
    }
    const pods = JSON.parse(kubectl(["get", "pods", "-A", "-o", "json"])) as { items: Array<Workload & { spec: { nodeName?: string } }> };
    for (const p of pods.items) if (p.spec.nodeName !== "jhub-node-0") bad.push(`pod ${where(p)} on ${p.spec.nodeName ?? "no node"}`);
    return bad;
}

/** The proxy's NodePort on the node's address (the bridge's: never the machine's own interface). */
export function hubBase(project: EngineProject, namespace: string): string {
    const kubectl = (args: string[]) => project.kubectl(args);
    const ip = kubectl(["get", "node", "jhub-node-0", "-o", 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}']);
    const port = kubectl(["get", "service", "proxy-public", "-n", namespace, "-o", "jsonpath={.spec.ports[0].nodePort}"]);
    return `http://${ip}:${port}`;
}

/** A user logged in through the proxy, with an API token of their own made through the login cookie. */
export class User {
    readonly browser = new Browser();
    token = "";
    constructor(
        readonly name: string,
        readonly base: string,
    ) {}

    async login(password: string): Promise<void> {
        const form = await this.browser.get(`${this.base}/hub/login`);
        assert.equal(form.status, 200, `GET /hub/login: ${form.body.slice(0, 300)}`);
        const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form.body)?.[1];
        assert.ok(xsrf, "the login form carries an _xsrf field");
        const r = await this.browser.postForm(`${this.base}/hub/login?next=%2Fhub%2Fhome`, { _xsrf: xsrf, username: this.name, password });
        assert.equal(r.status, 302, `${this.name}: POST /hub/login answers 302; got ${r.status}: ${r.body.slice(0, 300)}`);
        assert.ok(this.browser.cookies.has("jupyterhub-hub-login"), `${this.name}: a login cookie is set`);
        const t = await this.browser.api("POST", `${this.base}/hub/api/users/${this.name}/tokens`, { note: "journey", expires_in: 3600 });
        assert.equal(t.status, 201, `${this.name}: a token through the login cookie: ${t.status} ${t.body.slice(0, 300)}`);
        this.token = (JSON.parse(t.body) as { token: string }).token;
    }

    async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
        const res = await fetch(`${this.base}${path}`, {
            method,
            headers: { authorization: `token ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(60_000),
        });
        const text = await res.text();
        let json: Record<string, unknown> = {};
        try {
            json = JSON.parse(text) as Record<string, unknown>;
        } catch {
            // not JSON: the text says why
        }
        return { status: res.status, json, text };
    }

    async server(): Promise<{ ready?: boolean; pending?: string | null } | undefined> {
        const r = await this.call("GET", `/hub/api/users/${this.name}`);
        assert.equal(r.status, 200, r.text);
        return (r.json.servers as Record<string, { ready?: boolean; pending?: string | null }>)[""];
    }

    async start(profile: string): Promise<number> {
        const r = await this.call("POST", `/hub/api/users/${this.name}/server`, { profile });
        assert.ok([201, 202].includes(r.status), `${this.name}: start answers 201 or 202; got ${r.status} ${r.text}`);
        await until(async () => (await this.server())?.ready === true, `${this.name}'s server ready`, 300);
        return r.status;
    }

    async stop(): Promise<void> {
        const r = await this.call("DELETE", `/hub/api/users/${this.name}/server`);
        assert.ok([202, 204].includes(r.status), `${this.name}: stop answers 202 or 204; got ${r.status} ${r.text}`);
        await until(async () => (await this.server()) === undefined, `${this.name}'s server stopped`, 120);
    }

    async write(path: string, content: string): Promise<void> {
        const r = await this.call("PUT", `/user/${this.name}/api/contents/${path}`, { type: "file", format: "text", content });
        assert.ok([200, 201].includes(r.status), `PUT contents/${path}: ${r.status} ${r.text.slice(0, 400)}`);
    }

    async read(path: string): Promise<string> {
        const r = await this.call("GET", `/user/${this.name}/api/contents/${path}?type=file&format=text&content=1`);
        assert.equal(r.status, 200, `GET contents/${path}: ${r.text.slice(0, 400)}`);
        return r.json.content as string;
    }
}

export async function until(ok: () => boolean | Promise<boolean>, what: string, seconds: number): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!(await ok())) {
        if (Date.now() > deadline) assert.fail(`timed out after ${seconds} s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 1000));
    }
}

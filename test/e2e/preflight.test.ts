// Issue 35 through the real engine: the dev stack on a cluster without a default StorageClass (as
// a bare kubeadm cluster, and as this control plane before .ci/engine-cluster.sh marks one).
// `pulumi preview` already fails with one line per claim that names no class, each naming its
// key; `pulumi up` fails the same way and creates nothing; with the fix the line gives (a default
// class) the preview passes. Each step's time is printed: the refusal comes in seconds, where the
// update used to create 47 objects and fail after three five-minute waits.
//
// Run by .ci/e2e.sh after engine.test.ts and job-replace.test.ts, on the same private control
// plane, whose stacks are gone by then (it claims the same cluster-wide names: the CSI driver). It
// takes the default mark off the cluster's class (.ci/engine-cluster.sh) for its steps and puts it
// back.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { EngineProject } from "../support/engine-project";

const NS = "jhub-preflight";
const STACK = "preflight";
const CLASS = "standard";
const DEFAULT = "storageclass.kubernetes.io/is-default-class";
const project = new EngineProject(STACK);
const kubectl = (args: string[]) => project.kubectl(args);

/** The command's failure output and how long it took to fail. */
function fails(args: string[], label: string): { out: string; seconds: number } {
    const t0 = Date.now();
    const out = project.pulumiFails(args, { label });
    return { out, seconds: (Date.now() - t0) / 1000 };
}

/** The check's lines in the engine's output (each `  - ` under its header; the engine may print the error more than once). */
const linesOf = (out: string) => [
    ...new Set(
        out
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => /^- (PersistentVolumeClaim |jupyterhub:|the API server|Ingress |PersistentVolume |Namespace |StorageClass |CSIDriver )/.test(l)),
    ),
];

const CLAIM_LINES = [
    /^- PersistentVolumeClaim jhub-preflight\/mysql-data names no StorageClass \(jupyterhub:mysql\.storageClass is not set\), and the cluster has no default class/,
    /^- PersistentVolumeClaim jhub-preflight\/openldap-data names no StorageClass \(jupyterhub:ldap\.storageClass is not set\), and the cluster has no default class/,
    /^- PersistentVolumeClaim jhub-preflight-storage\/nfs-server-data names no StorageClass \(jupyterhub:nfs\.serverStorageClass is not set\), and the cluster has no default class/,
];

function assertNothingCreated(): void {
    const made = project
        .resources()
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm") && r.type !== "pulumi:providers:kubernetes");
    assert.deepEqual(
        made.map((r) => r.type),
        [],
        "the refused update created nothing",
    );
    for (const [kind, name] of [
        ["namespace", NS],
        ["namespace", `${NS}-storage`],
        ["storageclass", "jupyterhub-home-preflight"],
        ["csidriver", "nfs.csi.k8s.io"],
    ])
        assert.equal(project.exists(kind, name), false, `${kind} ${name}`);
}

before(() => {
    console.log(`preflight e2e: ${project.describe()}`);
    project.initStack(STACK, {
        "jupyterhub:namespace": NS,
        "jupyterhub:nfs": { ...(project.devConfig()["jupyterhub:nfs"] as object), homeStorageClass: "jupyterhub-home-preflight" },
    });
    kubectl(["annotate", "storageclass", CLASS, `${DEFAULT}=false`, "--overwrite"]);
});

after(() => {
    try {
        kubectl(["annotate", "storageclass", CLASS, `${DEFAULT}=true`, "--overwrite"]);
    } finally {
        project.printTimings("preflight e2e");
        project.remove();
    }
});

describe("real engine: a cluster without a default StorageClass is named before anything is deployed", () => {
    it("1. pulumi preview fails in seconds, one line per claim that names no class, each with its key and the fix", () => {
        const { out, seconds } = fails(["preview"], "preview without a default class");
        const lines = linesOf(out);
        console.log(`preflight e2e: preview refused in ${seconds.toFixed(1)} s:\n  ${lines.join("\n  ")}`);
        assert.match(
            out,
            /nothing was deployed: the cluster cannot take this stack \(organization\/jupyterhub\/preflight\) as it is configured, 3 problem\(s\)/,
        );
        assert.equal(lines.length, 3, out);
        CLAIM_LINES.forEach((re, i) => assert.match(lines[i], re));
        assert.match(lines[0], /or make one the default: kubectl annotate storageclass <name> storageclass\.kubernetes\.io\/is-default-class=true\.$/);
        assert.ok(seconds < 120, `refused in ${seconds} s`);
    });

    it("2. pulumi up fails the same way and creates nothing", () => {
        const { out, seconds } = fails(["up", "--yes", "--skip-preview"], "up without a default class");
        const lines = linesOf(out);
        console.log(`preflight e2e: up refused in ${seconds.toFixed(1)} s:\n  ${lines.join("\n  ")}`);
        assert.equal(lines.length, 3, out);
        CLAIM_LINES.forEach((re, i) => assert.match(lines[i], re));
        assertNothingCreated();
    });

    it("3. with the fix the line gives (a default class), the preview passes", () => {
        kubectl(["annotate", "storageclass", CLASS, `${DEFAULT}=true`, "--overwrite"]);
        const t0 = Date.now();
        project.pulumi(["preview"], { label: "preview with a default class" });
        console.log(`preflight e2e: preview with a default class passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        assertNothingCreated();
    });
});

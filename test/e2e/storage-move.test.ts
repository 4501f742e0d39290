// A stack deployed by release 0.1.0 (the NFS server, its disk and csi-driver-nfs in the hub's
// namespace) upgraded by `pulumi up` with this checkout's program on the same state, through the
// real engine: the storage parts move to `<namespace>-storage` with no step by hand. The server's
// disk is the same PersistentVolume (same UID), bound to the claim in the storage namespace; the
// address home volumes name is the Service's there; the hub's namespace enforces Pod Security; the
// next preview is empty. The migration's preview is printed.
//
// The release is 0.1.0, the last one with the old layout: a worktree of the commit CHANGELOG.md
// names, with its own `npm ci` (a symlink to this checkout's node_modules when its
// package-lock.json is the same).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { EngineProject, waitFor } from "../support/engine-project";
import { ROOT, run } from "../support/helpers";
import { release as releaseOf, releaseWorktree, removeWorktree } from "../support/releases";

const NS = "jhub-move-e2e";
const STORAGE_NS = `${NS}-storage`;
const STACK = "move";
const HOME_CLASS = "jupyterhub-home-move";
/** The volume a default StorageClass's provisioner would have given the 0.1.0 server's claim. */
const DISK = "jhub-move-e2e-nfs-disk";

/** The last release that ran the storage parts in the hub's namespace (CHANGELOG.md names its commit). */
const release = releaseOf("0.1.0");
let releaseDir = "";
let project: EngineProject;

interface Step {
    op: string;
    urn: string;
    newState?: { type: string; inputs?: Record<string, unknown> };
    oldState?: { type: string; inputs?: Record<string, unknown> };
    diffReasons?: string[];
}

const kubectl = (args: string[], input?: string) => project.kubectl(args, input);
const jsonpath = (kind: string, name: string, expr: string, ns?: string) => kubectl(["get", kind, name, ...(ns ? ["-n", ns] : []), "-o", `jsonpath=${expr}`]);

/** `<op> <Kind> <namespace>/<name>` of a step, the old object's namespace for a replacement. */
function describeStep(s: Step): string {
    const st = s.newState ?? s.oldState!;
    const md = (st.inputs?.metadata ?? {}) as { name?: string; namespace?: string };
    const old = (s.oldState?.inputs?.metadata ?? {}) as { namespace?: string };
    const where =
        md.namespace && old.namespace && old.namespace !== md.namespace ? `${old.namespace} -> ${md.namespace}/` : md.namespace ? `${md.namespace}/` : "";
    return `${s.op} ${st.type.split(":").pop()} ${where}${md.name ?? s.urn.split("::").pop()}`;
}

before(() => {
    // The release's own program and packages.
    releaseDir = releaseWorktree(release);
    project = new EngineProject(STACK, releaseDir);
    console.log(`storage move: ${project.describe()}, from release ${release.version} (commit ${release.commit})`);
    // Without the in-cluster directory: its sync Job's replacement between these releases is not this test's matter.
    project.initStack(STACK, {
        "jupyterhub:namespace": NS,
        "jupyterhub:nfs": { ...(project.devConfig()["jupyterhub:nfs"] as object), homeStorageClass: HOME_CLASS },
        "jupyterhub:ldap": { mode: "none" },
        "jupyterhub:hub": { ...(project.devConfig()["jupyterhub:hub"] as object), authenticatorClass: "dummy" },
    });
});

after(() => {
    project?.printTimings("storage-move");
    try {
        project.pulumi(["destroy", "--yes", "--skip-preview"], { label: "cleanup destroy" });
    } catch (e) {
        console.error(String(e));
    }
    for (const ns of [NS, STORAGE_NS]) run("kubectl", ["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
    run("kubectl", ["delete", "pv", DISK, "pvc-mover", `${NS}-shared`, `${NS}-group-shares`, "--ignore-not-found", "--wait=false"]);
    project?.remove();
    if (releaseDir) removeWorktree(releaseDir);
});

describe(`real engine: a stack of release ${release.version} moves its storage to the storage namespace`, () => {
    let before0: { diskUid: string; address: string; claimUid: string };
    let steps: Step[] = [];

    it(`1. release ${release.version} deploys the stack, the NFS server's disk bound, a user's home on its address`, () => {
        project.pulumi(["up", "--yes", "--skip-preview"], { label: `up (${release.version})` });
        assert.ok(project.exists("deployment", "nfs-server", NS), "0.1.0 runs the server in the hub's namespace");
        // Of the class the claim got (the cluster's default, .ci/engine-cluster.sh).
        const claimClass = project.kubectl(["get", "pvc", "nfs-server-data", "-n", NS, "-o", "jsonpath={.spec.storageClassName}"]);
        project.provisionServerDisk(DISK, NS, claimClass);
        project.makeHome(NS, "mover", NS, HOME_CLASS);
        before0 = {
            diskUid: jsonpath("pv", DISK, "{.metadata.uid}"),
            address: jsonpath("service", "nfs-server", "{.spec.clusterIP}", NS),
            claimUid: jsonpath("pvc", "claim-mover", "{.metadata.uid}", NS),
        };
        assert.equal(jsonpath("pv", "pvc-mover", "{.spec.csi.volumeAttributes.server}"), before0.address);
    });

    it("2. the preview with this checkout's program shows the move: the storage parts replaced into the new namespace, no data claim of the hub's touched", () => {
        project.useProgram(ROOT);
        const t0 = Date.now();
        const p = JSON.parse(project.pulumi(["preview", "--json", "--diff"], { label: "migration preview" })) as { steps: Step[] };
        steps = p.steps.filter((s) => s.op !== "same");
        console.log(`storage move: the migration's preview (${((Date.now() - t0) / 1000).toFixed(1)} s):\n  ${steps.map(describeStep).join("\n  ")}`);
        const described = steps.map(describeStep);
        for (const expected of [
            "create Resource nfs-move",
            `create Namespace ${STORAGE_NS}`,
            `update Namespace ${NS}`,
            `replace PersistentVolumeClaim ${NS} -> ${STORAGE_NS}/nfs-server-data`,
            `replace Service ${NS} -> ${STORAGE_NS}/nfs-server`,
            `replace Deployment ${NS} -> ${STORAGE_NS}/nfs-server`,
        ])
            assert.ok(described.includes(expected), `${expected} in:\n${described.join("\n")}`);
        const touched = described.filter((d) =>
            /(mysql-data|openldap-data|backups|jupyterhub-shared|jupyterhub-group-shares|-shared$|-group-shares$|StorageClass)/.test(d),
        );
        assert.deepEqual(touched, [], "the hub's data claims, the shared volumes and the home class stay as they are");
        // The move's facts are read at preview: the Service asks for the old address.
        const svc = steps.filter((s) => /^(replace|create-replacement) Service /.test(describeStep(s)));
        assert.ok(
            svc.some((s) => ((s.newState?.inputs?.spec ?? {}) as { clusterIP?: string }).clusterIP === before0.address),
            JSON.stringify(svc.map((s) => [s.op, s.newState?.inputs?.spec])),
        );
    });

    it("3. up moves it: the same volume bound to the new claim, the same address served from the storage namespace, homes still bound", () => {
        project.pulumi(["up", "--yes", "--skip-preview"], { label: "migration up" });
        assert.equal(jsonpath("pv", DISK, "{.metadata.uid}"), before0.diskUid, "the same PersistentVolume");
        assert.equal(jsonpath("pv", DISK, "{.spec.claimRef.namespace}/{.spec.claimRef.name}"), `${STORAGE_NS}/nfs-server-data`);
        assert.equal(jsonpath("pv", DISK, "{.spec.persistentVolumeReclaimPolicy}"), "Retain");
        waitFor(() => jsonpath("pvc", "nfs-server-data", "{.status.phase}", STORAGE_NS) === "Bound", "the new claim bound");
        assert.equal(jsonpath("pvc", "nfs-server-data", "{.spec.volumeName}", STORAGE_NS), DISK);
        assert.equal(jsonpath("pv", DISK, "{.spec.claimRef.uid}"), jsonpath("pvc", "nfs-server-data", "{.metadata.uid}", STORAGE_NS));
        // The address home volumes name is the ClusterIP of the Service that selects the server's pods.
        assert.equal(jsonpath("service", "nfs-server", "{.spec.clusterIP}", STORAGE_NS), before0.address);
        const selector = JSON.parse(jsonpath("service", "nfs-server", "{.spec.selector}", STORAGE_NS)) as Record<string, string>;
        const podLabels = JSON.parse(jsonpath("deployment", "nfs-server", "{.spec.template.metadata.labels}", STORAGE_NS)) as Record<string, string>;
        for (const [k, v] of Object.entries(selector)) assert.equal(podLabels[k], v, `the Service selects the server's pods (${k})`);
        assert.equal(jsonpath("pv", "pvc-mover", "{.spec.csi.volumeAttributes.server}"), before0.address);
        assert.equal(jsonpath("pvc", "claim-mover", "{.status.phase}", NS), "Bound");
        assert.equal(jsonpath("pvc", "claim-mover", "{.metadata.uid}", NS), before0.claimUid);
        assert.equal(jsonpath("storageclass", HOME_CLASS, "{.parameters.server}"), before0.address);
        for (const [kind, name] of [
            ["deployment", "nfs-server"],
            ["service", "nfs-server"],
            ["pvc", "nfs-server-data"],
            ["deployment", "csi-nfs-controller"],
            ["daemonset", "csi-nfs-node"],
        ])
            assert.equal(project.exists(kind, name, NS), false, `${kind} ${name} left in the hub's namespace`);
        assert.equal(jsonpath("namespace", NS, "{.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"), "restricted");
        assert.equal(jsonpath("namespace", STORAGE_NS, "{.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"), "privileged");
    });

    it("4. the next preview is empty", () => {
        project.pulumi(["preview", "--expect-no-changes"], { label: "preview after the move" });
    });

    it("5. destroy keeps the data in the new layout, and up takes it back: same volume, same address", () => {
        project.pulumi(["destroy", "--yes", "--skip-preview"], { label: "destroy (retain)" });
        for (const [kind, name, ns] of [
            ["namespace", STORAGE_NS, undefined],
            ["pvc", "nfs-server-data", STORAGE_NS],
            ["service", "nfs-server", STORAGE_NS],
        ] as Array<[string, string, string | undefined]>)
            assert.ok(project.exists(kind, name, ns), `${kind} ${name} kept`);
        project.pulumi(["up", "--yes", "--skip-preview"], { label: "up over kept data" });
        assert.equal(jsonpath("service", "nfs-server", "{.spec.clusterIP}", STORAGE_NS), before0.address);
        assert.equal(jsonpath("pvc", "nfs-server-data", "{.spec.volumeName}", STORAGE_NS), DISK);
        assert.equal(jsonpath("pv", DISK, "{.metadata.uid}"), before0.diskUid);
        project.pulumi(["preview", "--expect-no-changes"], { label: "preview after re-up" });
    });
});

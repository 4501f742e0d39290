// The move of a 0.1.0 stack's storage parts (components/storage/move.ts) against a real
// kube-apiserver and its volume controller: the layout release 0.1.0 made in the hub's namespace
// (the NFS server's claim bound to its volume, its Service, the server, csi-driver-nfs), the move,
// then the claim and Service the program makes in the storage namespace. The volume is the same
// (same UID), bound to the new claim; the address is the same; a second move does nothing.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { MOVED, moveStorage, readFacts, type StorageFacts } from "../../components/storage/move";
import { kubectl } from "../support/apiserver-harness";

type Obj = Record<string, unknown>;

const FROM = "jhub-move";
const TO = `${FROM}-storage`;
const PV = "jhub-move-nfs-disk";
const SC = "jhub-move-home";
const args = { from: FROM, to: TO, storageClass: SC, inClusterServer: true, dataPolicy: "retain" as const };

const apply = (items: Obj[]) =>
    kubectl(["apply", "--server-side", "--field-manager=jhub-move-test", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
const get = <T = Obj>(kind: string, name: string, ns?: string) => JSON.parse(kubectl(["get", kind, name, ...(ns ? ["-n", ns] : []), "-o", "json"])) as T;
const exists = (kind: string, name: string, ns?: string) =>
    kubectl(["get", kind, name, ...(ns ? ["-n", ns] : []), "--ignore-not-found", "-o", "name"]).trim() !== "";

async function until(what: string, ok: () => boolean, seconds = 90): Promise<void> {
    const end = Date.now() + seconds * 1000;
    while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 1000));
    }
}

const labels = (name: string) => ({ "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "jupyterhub-platform" });
function workload(kind: "Deployment" | "DaemonSet", name: string): Obj {
    const lbl = labels(name);
    return {
        apiVersion: "apps/v1",
        kind,
        metadata: { name, namespace: FROM, labels: lbl },
        spec: {
            selector: { matchLabels: lbl },
            template: {
                metadata: { labels: lbl },
                spec: { containers: [{ name: "c", image: "registry.k8s.io/pause:3.10", securityContext: { privileged: true } }] },
            },
        },
    };
}

describe("real kube-apiserver: a 0.1.0 stack's storage moves to the storage namespace", () => {
    let before0: { uid: string; address: string };
    let facts: StorageFacts;
    let steps: string[];

    before(async () => {
        if (!process.env.KUBECONFIG) throw new Error("KUBECONFIG is not set: run this through `npm run test:apiserver` (.ci/apiserver.sh)");
        // The 0.1.0 layout: everything in the hub's namespace, which enforced nothing.
        apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name: FROM } }]);
        apply([
            // As a provisioner of the cluster's default class leaves it: bound, reclaim policy Delete.
            {
                apiVersion: "v1",
                kind: "PersistentVolume",
                metadata: { name: PV },
                spec: {
                    capacity: { storage: "20Gi" },
                    accessModes: ["ReadWriteOnce"],
                    persistentVolumeReclaimPolicy: "Delete",
                    storageClassName: "",
                    hostPath: { path: "/var/lib/jhub-move-disk" },
                    claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: FROM, name: MOVED.claim },
                },
            },
            {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: MOVED.claim, namespace: FROM },
                // As 0.1.0 made it: no class (the cluster's default; this cluster has none).
                spec: { accessModes: ["ReadWriteOnce"], volumeName: PV, resources: { requests: { storage: "20Gi" } } },
            },
            {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: MOVED.service, namespace: FROM },
                spec: { type: "ClusterIP", selector: labels("nfs-server"), ports: [{ name: "nfs", port: 2049 }] },
            },
            workload("Deployment", MOVED.server),
            workload("Deployment", MOVED.csiController),
            workload("DaemonSet", MOVED.csiNode),
        ]);
        const address = get<{ spec: { clusterIP: string } }>("service", MOVED.service, FROM).spec.clusterIP;
        apply([
            {
                apiVersion: "storage.k8s.io/v1",
                kind: "StorageClass",
                metadata: { name: SC },
                provisioner: "nfs.csi.k8s.io",
                parameters: { server: address, share: "/" },
            },
        ]);
        await until("the old claim to bind", () => get<{ status: { phase: string } }>("persistentvolumeclaim", MOVED.claim, FROM).status.phase === "Bound");
        before0 = { uid: get<{ metadata: { uid: string } }>("persistentvolume", PV).metadata.uid, address };
        apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name: TO, labels: { "pod-security.kubernetes.io/enforce": "privileged" } } }]);
    });

    after(() => {
        for (const ns of [FROM, TO]) kubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
        kubectl(["delete", "storageclass", SC, "--ignore-not-found"]);
        kubectl(["delete", "persistentvolume", PV, "--ignore-not-found", "--wait=false"]);
    });

    it("reads the facts from the old layout: the volume, its class, the Service's address", () => {
        facts = readFacts(kubectl, args);
        assert.deepEqual(facts, { address: before0.address, volumeName: PV, storageClassName: "" });
    });

    it("moves: the volume kept (Retain) and pointed at the new claim, the old server, driver, claim and Service gone", () => {
        const t0 = Date.now();
        steps = moveStorage(kubectl, args, facts);
        console.log(`moved in ${Date.now() - t0} ms:\n  ${steps.join("\n  ")}`);
        assert.deepEqual(steps, [
            `PersistentVolume ${PV}: reclaim policy Delete -> Retain`,
            `deployment ${FROM}/${MOVED.server} deleted, its pods gone`,
            `deployment ${FROM}/${MOVED.csiController} deleted, its pods gone`,
            `daemonset ${FROM}/${MOVED.csiNode} deleted, its pods gone`,
            `PersistentVolume ${PV}: claimRef ${FROM}/${MOVED.claim} -> ${TO}/${MOVED.claim}`,
            `PersistentVolumeClaim ${FROM}/${MOVED.claim} deleted (the volume is no longer bound to it)`,
            `Service ${FROM}/${MOVED.service} deleted: ${before0.address} is free for ${TO}/${MOVED.service}`,
        ]);
        for (const [kind, name] of [
            ["service", MOVED.service],
            ["deployment", MOVED.server],
            ["deployment", MOVED.csiController],
            ["daemonset", MOVED.csiNode],
        ])
            assert.equal(exists(kind, name, FROM), false, `${kind} ${name}`);
        const pv = get<{ metadata: { uid: string }; spec: { persistentVolumeReclaimPolicy: string; claimRef: Obj } }>("persistentvolume", PV);
        assert.equal(pv.metadata.uid, before0.uid);
        assert.equal(pv.spec.persistentVolumeReclaimPolicy, "Retain");
        assert.deepEqual(pv.spec.claimRef, { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: TO, name: MOVED.claim });
    });

    it("the program's claim in the storage namespace binds the same volume, its Service takes the same address", async () => {
        apply([
            {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: MOVED.claim, namespace: TO },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: facts.storageClassName,
                    volumeName: facts.volumeName,
                    resources: { requests: { storage: "20Gi" } },
                },
            },
            {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: MOVED.service, namespace: TO },
                spec: { type: "ClusterIP", clusterIP: facts.address, selector: labels("nfs-server"), ports: [{ name: "nfs", port: 2049 }] },
            },
        ]);
        await until("the new claim to bind", () => get<{ status: { phase: string } }>("persistentvolumeclaim", MOVED.claim, TO).status.phase === "Bound");
        const pv = get<{ metadata: { uid: string }; status: { phase: string }; spec: { claimRef: { uid?: string; namespace: string } } }>(
            "persistentvolume",
            PV,
        );
        const claim = get<{ metadata: { uid: string }; spec: { volumeName: string } }>("persistentvolumeclaim", MOVED.claim, TO);
        assert.equal(pv.metadata.uid, before0.uid, "the same volume");
        assert.equal(pv.status.phase, "Bound");
        assert.equal(pv.spec.claimRef.uid, claim.metadata.uid);
        assert.equal(claim.spec.volumeName, PV);
        assert.equal(get<{ spec: { clusterIP: string } }>("service", MOVED.service, TO).spec.clusterIP, before0.address);
        assert.equal(get<{ parameters: { server: string } }>("storageclass", SC).parameters.server, before0.address, "home volumes' address is served");
    });

    it("afterwards the facts read the same (from the new layout) and a second move does nothing", () => {
        assert.deepEqual(readFacts(kubectl, args), facts);
        assert.deepEqual(moveStorage(kubectl, args, facts), []);
    });
});

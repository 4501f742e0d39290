// The ReadWriteMany class `local-rwx` on the real node (test/support/local-rwx.ts): the class that
// `nfs.mode: storage-class` runs on here (issue 29 C). A claim of it binds, two pods mount it at
// once and see each other's files, a file outlives the pod that wrote it, and a pod as users' pods
// run (uid 1000, gid 100, fsGroup 100) writes the volume and a group share's subPath the kubelet
// makes, as the spawn hook mounts it.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { sharedClaimSpec } from "../../components/storage";
import { installLocalRwx, LOCAL_RWX, LOCAL_RWX_IMAGES } from "../support/local-rwx";
import { kubectl, machine, type Machine, nodeSh, requireCluster } from "../support/node-harness";

const NS = "local-rwx-test";
const NODE_NAME = "jhub-node-0";
const CLAIM = "shared";

/** A busybox pod on the real node with the claim at /data (optionally a subPath of it); `sh -c` runs SCRIPT. */
function pod(name: string, script: string, o: { subPath?: string; user?: boolean } = {}) {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: NS },
        spec: {
            terminationGracePeriodSeconds: 1,
            ...(o.user ? { securityContext: { runAsUser: 1000, runAsGroup: 100, fsGroup: 100, fsGroupChangePolicy: "OnRootMismatch" } } : {}),
            containers: [
                {
                    name: "main",
                    image: LOCAL_RWX_IMAGES.helper.ref,
                    imagePullPolicy: "IfNotPresent",
                    command: ["sh", "-c", script],
                    volumeMounts: [{ name: "data", mountPath: "/data", ...(o.subPath ? { subPath: o.subPath } : {}) }],
                },
            ],
            volumes: [{ name: "data", persistentVolumeClaim: { claimName: CLAIM } }],
        },
    };
}
const apply = (...items: object[]) => kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
const exec = (name: string, script: string) => kubectl(["-n", NS, "exec", name, "--", "sh", "-c", script]);
const ready = (...names: string[]) => kubectl(["-n", NS, "wait", "--for=condition=Ready", ...names.map((n) => `pod/${n}`), "--timeout=120s"]);

describe("local-rwx: a ReadWriteMany class on the real node (local-path-provisioner with a shared folder)", () => {
    let started = false;
    let sharedPath = "";
    let machineBefore: Machine;

    before(() => {
        requireCluster();
        machineBefore = machine();
        const r = nodeSh(["start"]);
        assert.equal(r.status, 0, `.ci/node.sh start failed:\n${r.stderr.slice(-6000)}`);
        started = true;
        const installed = installLocalRwx();
        sharedPath = installed.sharedPath;
        console.log(`# local-rwx installed in ${installed.seconds.toFixed(1)} s (images imported, provisioner ready)`);
        kubectl(["create", "namespace", NS]);
    });

    after(() => {
        if (started) nodeSh(["stop"]);
    });

    it("the provisioner runs on the real node, and the class is there with Immediate binding", () => {
        const placed = kubectl(["-n", LOCAL_RWX.namespace, "get", "pods", "-l", "app=local-path-provisioner", "-o", "jsonpath={.items[*].spec.nodeName}"]);
        assert.equal(placed, NODE_NAME);
        const sc = JSON.parse(kubectl(["get", "storageclass", LOCAL_RWX.className, "-o", "json"])) as Record<string, unknown>;
        assert.deepEqual([sc.provisioner, sc.volumeBindingMode], [LOCAL_RWX.provisioner, "Immediate"]);
        // Not the default class unless asked (installLocalRwx({ isDefault: true })).
        assert.equal((sc.metadata as { annotations: Record<string, string> }).annotations["storageclass.kubernetes.io/is-default-class"], "false");
    });

    it("a claim as the program makes the shared ones binds, ReadWriteMany, to a folder of the node with no node affinity", () => {
        const t0 = Date.now();
        apply({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: CLAIM, namespace: NS },
            // The spec the program gives the shared volume's and the group shares' claims (components/storage/class-storage.ts).
            spec: sharedClaimSpec(LOCAL_RWX.className, "1Gi"),
        });
        kubectl(["-n", NS, "wait", `pvc/${CLAIM}`, "--for=jsonpath={.status.phase}=Bound", "--timeout=120s"]);
        console.log(`# claim bound in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const pvName = kubectl(["-n", NS, "get", "pvc", CLAIM, "-o", "jsonpath={.spec.volumeName}"]);
        const pv = JSON.parse(kubectl(["get", "pv", pvName, "-o", "json"])) as {
            spec: { accessModes: string[]; hostPath?: { path: string }; nodeAffinity?: unknown };
        };
        assert.deepEqual(pv.spec.accessModes, ["ReadWriteMany"]);
        assert.equal(pv.spec.nodeAffinity, undefined);
        const dir = pv.spec.hostPath?.path ?? "";
        assert.equal(path.dirname(dir), sharedPath);
        // The helper pod made it, world-writable (the class's setup script), on the node.
        assert.equal(fs.statSync(dir).mode & 0o777, 0o777);
    });

    it("two pods mount it at once: each reads what the other wrote", () => {
        apply(pod("writer", "echo from-writer >/data/note && exec sleep 3600"), pod("reader", "exec sleep 3600"));
        ready("writer", "reader");
        assert.equal(kubectl(["-n", NS, "get", "pods", "writer", "reader", "-o", "jsonpath={.items[*].spec.nodeName}"]), `${NODE_NAME} ${NODE_NAME}`);
        assert.equal(exec("reader", "cat /data/note").trim(), "from-writer");
        exec("reader", "echo from-reader >>/data/note");
        assert.equal(exec("writer", "cat /data/note"), "from-writer\nfrom-reader\n");
    });

    it("a file outlives the pod that wrote it: a new pod reads it after the writer is deleted", () => {
        kubectl(["-n", NS, "delete", "pod", "writer", "--wait=true", "--timeout=60s"]);
        apply(pod("later", "exec sleep 3600"));
        ready("later");
        assert.equal(exec("later", "cat /data/note"), "from-writer\nfrom-reader\n");
    });

    it("a pod as users' pods run (uid 1000, gid 100, fsGroup 100) writes the volume and a group share the kubelet makes by subPath", () => {
        apply(pod("user", "exec sleep 3600", { user: true }), pod("member", "exec sleep 3600", { user: true, subPath: "course-101" }));
        ready("user", "member");
        assert.equal(exec("user", "id -u; id -g").trim(), "1000\n100");
        exec("user", "echo by-user >/data/user-note");
        exec("member", "echo by-member >/data/share-note");
        // The group share is a directory of the same volume, as the spawn hook's subPath mounts it.
        assert.equal(exec("user", "cat /data/course-101/share-note").trim(), "by-member");
        assert.equal(exec("later", "cat /data/user-note").trim(), "by-user");
    });

    it("the node stops as cleanly with the class's helper pods and hostPath volumes: the machine as before", () => {
        const r = nodeSh(["stop"]);
        started = false;
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(machine(), machineBefore);
    });
});

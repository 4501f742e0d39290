// The dev stack with `nfs.mode: storage-class` under mocks: no NFS server, driver, StorageClass or
// storage namespace of its own; homes, the shared volume, the group shares and the backups are
// claims of the named class, mounted as on NFS, kept by a retaining destroy (or not, with
// dataPolicy delete); the preflight looks for the class.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { SINGLE_NODE_PROVISIONERS } from "../../components/cluster-needs";
import { get } from "../support/helpers";
import { loadPackConfig, packViolations } from "../support/policy-harness";
import { type ProgramRun, reveal, runProgram } from "../support/program";

const NFS = {
    mode: "storage-class",
    storageClass: "local-rwx",
    shared: { size: "3Gi", mountPath: "/mnt/shared", readOnlyForUsers: true },
    groupShares: ["course-101"],
};

type Claim = {
    metadata: { name: string; namespace: string };
    spec: { accessModes: string[]; storageClassName?: string; volumeName?: string; resources: unknown };
};

let run: ProgramRun;
let deleting: ProgramRun;
before(async () => {
    run = await runProgram("dev", { "jupyterhub:nfs": NFS });
    deleting = await runProgram("dev", { "jupyterhub:nfs": NFS, "jupyterhub:dataPolicy": "delete" });
});

const claim = (r: ProgramRun, name: string) => reveal(r.byName(name, "PersistentVolumeClaim").inputs) as Claim;

describe("program (dev stack, nfs.mode storage-class)", () => {
    it("creates no NFS server, csi-driver-nfs, StorageClass, PersistentVolume or storage namespace", () => {
        const types = new Set(run.resources.map((r) => r.type));
        for (const absent of [
            "kubernetes:storage.k8s.io/v1:StorageClass",
            "kubernetes:storage.k8s.io/v1:CSIDriver",
            "kubernetes:core/v1:PersistentVolume",
            "kubernetes:apps/v1:DaemonSet",
            "jupyterhub:index:NfsStorage",
            "jupyterhub:index:StorageMove",
        ]) {
            assert.ok(!types.has(absent), `${absent} should not exist`);
        }
        const names = run.resources.map((r) => `${r.type.split(":").pop()}/${r.name}`);
        for (const absent of ["Namespace/storage-namespace", "Deployment/nfs-server", "Service/nfs-server"]) assert.ok(!names.includes(absent), absent);
        assert.equal(run.ofType("jupyterhub:index:ClassStorage").length, 1);
        assert.equal(run.outputs.storageNamespaceName, undefined);
        assert.equal(run.outputs.nfsServer, undefined);
    });

    it("the shared volume and the group shares are ReadWriteMany claims of the class in the hub's namespace, dynamically provisioned", () => {
        for (const name of ["storage-shared", "storage-group-shares"]) {
            const c = claim(run, name);
            assert.equal(c.metadata.namespace, "jupyterhub-dev", name);
            assert.deepEqual(c.spec, { accessModes: ["ReadWriteMany"], storageClassName: "local-rwx", resources: { requests: { storage: "3Gi" } } }, name);
        }
        assert.deepEqual(
            [claim(run, "storage-shared").metadata.name, claim(run, "storage-group-shares").metadata.name],
            ["jupyterhub-shared", "jupyterhub-group-shares"],
        );
    });

    it("homes are the chart's dynamic claims of the class; users' pods mount the shared claim as on NFS, read-only for users", () => {
        const values = reveal(run.byName("jupyterhub").inputs);
        assert.deepEqual(get(values, "values.singleuser.storage.dynamic"), { storageClass: "local-rwx", storageAccessModes: ["ReadWriteOnce"] });
        assert.equal(get(values, "values.singleuser.storage.type"), "dynamic");
        assert.deepEqual(get(values, "values.singleuser.storage.extraVolumes"), [
            { name: "shared", persistentVolumeClaim: { claimName: "jupyterhub-shared" } },
        ]);
        assert.deepEqual(get(values, "values.singleuser.storage.extraVolumeMounts"), [{ name: "shared", mountPath: "/mnt/shared", readOnly: true }]);
        assert.equal(run.outputs.homeStorageClass, "local-rwx");
        assert.equal(run.outputs.sharedVolumeClaim, "jupyterhub-shared");
    });

    it("the spawn hook mounts the group shares' claim, one directory a group, as on NFS", () => {
        const hook = String(get(reveal(run.byName("jupyterhub").inputs), "values.hub.extraConfig.10-spawn-hooks"));
        const data = JSON.parse(JSON.parse(/^_SPAWN_HOOKS = _json\.loads\((".*")\)$/m.exec(hook)![1]) as string) as unknown;
        assert.deepEqual(get(data, "groupShares"), { claimName: "jupyterhub-group-shares", groups: ["course-101"], mountRoot: "/mnt/groups" });
    });

    it("the backups' claim, which the NFS modes put on the export, is a ReadWriteMany claim of the class", () => {
        const c = claim(run, "backup-data");
        assert.deepEqual(c.spec, { accessModes: ["ReadWriteMany"], storageClassName: "local-rwx", resources: { requests: { storage: "5Gi" } } });
    });

    it("dataPolicy retain keeps the three claims on destroy, as the other data; delete does not", () => {
        for (const name of ["storage-shared", "storage-group-shares", "backup-data"]) {
            assert.equal(run.byName(name, "PersistentVolumeClaim").retainOnDelete, true, name);
            assert.equal(deleting.byName(name, "PersistentVolumeClaim").retainOnDelete, false, name);
        }
        const retained = run.resources
            .filter((r) => r.retainOnDelete)
            .map((r) => `${r.type.split(":").pop()}/${r.name}`)
            .sort();
        assert.deepEqual(retained, [
            "Namespace/namespace",
            "PersistentVolumeClaim/backup-data",
            "PersistentVolumeClaim/mysql-data",
            "PersistentVolumeClaim/openldap-data",
            "PersistentVolumeClaim/storage-group-shares",
            "PersistentVolumeClaim/storage-shared",
            "Secret/data-key",
        ]);
    });

    it("the policy pack finds no violation with the dev policy config, and no privileged pod is left to judge", async () => {
        const subjects = run.resources.map((r) => ({ type: r.type, name: r.name, props: reveal(r.inputs) as Record<string, unknown> }));
        assert.deepEqual(await packViolations(subjects, loadPackConfig("dev")), []);
        assert.ok(!JSON.stringify(subjects).includes("privileged"), "no privileged container: no NFS server, no CSI node plugin");
    });

    it("the preflight looks for the class (no CSI driver, no StorageClass name of its own, no NFS address)", () => {
        const values = (reveal(run.byName("cluster-preflight").inputs) as { values: Record<string, unknown> }).values;
        assert.deepEqual(get(values, "needs.sharedClass"), { key: "jupyterhub:nfs.storageClass", name: "local-rwx", singleNode: SINGLE_NODE_PROVISIONERS });
        assert.equal(get(values, "needs.csiDriver"), undefined);
        assert.equal(values.volumes, undefined);
        const objects = values.objects as Array<{ kind: string; name: string }>;
        assert.deepEqual(
            objects.map((o) => `${o.kind}/${o.name}`),
            ["Namespace/jupyterhub-dev"],
        );
    });
});

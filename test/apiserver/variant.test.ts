// The dev stack with an ingress and a self-signed certificate, data deletion chosen, and the
// cluster's own csi-driver-nfs (installCsiDriver false), against a real kube-apiserver.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { apiServerSuite, kubectl } from "../support/apiserver-harness";
import { backupObjects } from "../support/dev-objects";

const NS = "jhub-apiserver-variant";
const NODE_CIDRS = ["192.168.10.0/24", "10.244.1.0/32", "fd00:10::/64"];

apiServerSuite({
    stack: "dev",
    namespace: NS,
    overrides: {
        "jupyterhub:ingress": { enabled: true, host: "hub.dev.example.org" },
        "jupyterhub:dataPolicy": "delete",
        // The nodes' addresses (issue 30): the NFS server's NetworkPolicy and export admit them only.
        "jupyterhub:nfs": { onDelete: "delete", installCsiDriver: false, nodeCidrs: NODE_CIDRS },
    },
    expected: [
        ...backupObjects({ inClusterDirectory: true, inClusterMysql: true }),
        "ConfigMap/jupyterhub-ldap-ca",
        "ConfigMap/nfs-server-scripts",
        "ConfigMap/openldap-config",
        "ConfigMap/openldap-sync",
        "Deployment/nfs-server",
        "Deployment/openldap",
        "Job/openldap-sync-<tree hash>",
        `Namespace/${NS}`,
        // The in-cluster NFS server's (privileged) namespace.
        `Namespace/${NS}-storage`,
        "NetworkPolicy/mysql",
        "NetworkPolicy/nfs-server",
        "NetworkPolicy/openldap",
        "NetworkPolicy/openldap-sync",
        `PersistentVolume/${NS}-shared`,
        "PersistentVolumeClaim/jupyterhub-shared",
        "PersistentVolumeClaim/mysql-data",
        "PersistentVolumeClaim/nfs-server-data",
        "PersistentVolumeClaim/openldap-data",
        "Secret/data-key",
        "Secret/hub-secrets",
        "Secret/jupyterhub-tls",
        "Secret/mysql-credentials",
        "Secret/openldap-bootstrap",
        "Secret/openldap-tls",
        "Service/mysql",
        "Service/nfs-server",
        "Service/openldap",
        // patched (automountServiceAccountToken: false), in the hub's and the storage namespace
        "ServiceAccount/default",
        "ServiceAccount/default",
        "StatefulSet/mysql",
        "StorageClass/jupyterhub-home",
    ],
});

describe("real kube-apiserver: the NFS server's fence with nfs.nodeCidrs (issue 30)", () => {
    it("the NetworkPolicy reads back selecting the server's pod, admitting exactly the nodes' blocks on its ports", () => {
        const np = JSON.parse(kubectl(["get", "networkpolicy", "nfs-server", "-n", `${NS}-storage`, "-o", "json"])) as {
            spec: {
                podSelector: { matchLabels: Record<string, string> };
                policyTypes: string[];
                ingress: Array<{ from: Array<{ ipBlock: { cidr: string } }>; ports: Array<{ port: number }> }>;
            };
        };
        // Egress with no rule: the server reaches nothing. No controller selector: installCsiDriver is false here.
        assert.deepEqual(np.spec.policyTypes, ["Ingress", "Egress"]);
        assert.equal(np.spec.podSelector.matchLabels["app.kubernetes.io/name"], "nfs-server");
        assert.deepEqual(
            np.spec.ingress.map((r) => r.from.map((f) => f.ipBlock.cidr)),
            [NODE_CIDRS],
        );
        assert.deepEqual(
            np.spec.ingress[0].ports.map((p) => p.port),
            [2049, 20048, 111],
        );
        const pods = JSON.parse(kubectl(["get", "deployment", "nfs-server", "-n", `${NS}-storage`, "-o", "json"])) as {
            spec: { template: { spec: { initContainers: Array<{ env: Array<{ name: string; value: string }> }>; containers: Array<{ args: string[] }> } } };
        };
        const exportsLine = pods.spec.template.spec.initContainers[0].env.find((e) => e.name === "EXPORTS")!.value;
        assert.equal(exportsLine, `/exports ${NODE_CIDRS.map((c) => `${c}(rw,fsid=0,sync,no_subtree_check,no_root_squash)`).join(" ")}`);
        assert.deepEqual(pods.spec.template.spec.containers[0].args, ["--"]);
    });

    it("the API server refuses an ipBlock that is not a CIDR, as the config refuses nfs.nodeCidrs (the check has teeth)", () => {
        const bad = {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "bad-cidr", namespace: `${NS}-storage` },
            spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.1" } }] }] },
        };
        assert.throws(() => kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(bad)), /cidr/i);
    });
});

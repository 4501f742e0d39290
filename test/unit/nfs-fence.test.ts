// The in-cluster NFS server's fence (issue 30, item 1): its exports file and its NetworkPolicy,
// from the configuration. What an enforcing network plugin does with the policy is
// test/apiserver/dev.test.ts's (the API server accepts it) and README's Security section.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { labels } from "../../components/common";
import { controllerNetworkPolicySpec, CSI_CONTROLLER, exportsFile, prepareExportsEnv, rootSquashed, serverNetworkPolicySpec } from "../../components/storage";
import { type InClusterNfs, parseConfig } from "../../config";

function nfs(over: Record<string, unknown> = {}): InClusterNfs {
    const cfg = parseConfig({ ldap: { mode: "none" }, hub: { authenticatorClass: "dummy" }, nfs: over }, "dev");
    assert.ok(cfg.nfs.mode === "in-cluster");
    return cfg.nfs;
}
const LBL = { "app.kubernetes.io/name": "nfs-server" };

describe("nfs fence: the in-cluster server's exports", () => {
    it("by default: any address, but neither insecure nor root squashed (the kubelet chowns homes as root)", () => {
        assert.equal(exportsFile(nfs()), "/exports *(rw,fsid=0,sync,no_subtree_check,no_root_squash)");
        assert.equal(rootSquashed(nfs()), false);
        assert.equal(prepareExportsEnv(nfs()).SQUASHED_MODE, undefined);
    });

    it("nodeCidrs: one client entry each, nothing for any other address", () => {
        const f = exportsFile(nfs({ nodeCidrs: ["192.168.10.0/24", "10.244.1.0/32"] }));
        assert.equal(
            f,
            "/exports 192.168.10.0/24(rw,fsid=0,sync,no_subtree_check,no_root_squash) 10.244.1.0/32(rw,fsid=0,sync,no_subtree_check,no_root_squash)",
        );
        assert.doesNotMatch(f, /\*|insecure/);
    });

    it("a class that sets the mode itself: root squashed to 65534, the script told the mode", () => {
        const n = nfs({ mountPermissions: "0777" });
        assert.equal(exportsFile(n), "/exports *(rw,fsid=0,sync,no_subtree_check,root_squash,anonuid=65534,anongid=65534)");
        assert.equal(prepareExportsEnv(n).SQUASHED_MODE, "0777");
        assert.equal(prepareExportsEnv(n).EXPORTS, exportsFile(n));
        assert.equal(rootSquashed(nfs({ mountPermissions: "0000" })), false);
    });
});

describe("nfs fence: the in-cluster server's NetworkPolicy", () => {
    const CONTROLLER = { podSelector: { matchLabels: labels(CSI_CONTROLLER) } };
    const PORTS = [
        { protocol: "TCP", port: 2049 },
        { protocol: "TCP", port: 20048 },
        { protocol: "TCP", port: 111 },
    ];

    it("without nodeCidrs it admits the CSI controller's pods only (and what the plugin passes as the node's own traffic); it reaches nothing", () => {
        assert.deepEqual(serverNetworkPolicySpec(nfs(), LBL), {
            podSelector: { matchLabels: LBL },
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [CONTROLLER], ports: PORTS }],
            egress: [],
        });
        // Without the program's csi-driver-nfs: no one.
        assert.deepEqual(serverNetworkPolicySpec(nfs({ installCsiDriver: false }), LBL).ingress, []);
    });

    it("with nodeCidrs: those addresses and the CSI controller, on the server's three ports, no namespace selector", () => {
        const spec = serverNetworkPolicySpec(nfs({ nodeCidrs: ["192.168.10.0/24"] }), LBL);
        assert.deepEqual(spec.ingress, [{ from: [{ ipBlock: { cidr: "192.168.10.0/24" } }, CONTROLLER], ports: PORTS }]);
    });

    it("the CSI controller, on the pod network: nothing reaches it; it reaches NFS ports, the API server's and DNS only", () => {
        const spec = controllerNetworkPolicySpec(LBL);
        assert.deepEqual(spec.ingress, []);
        assert.deepEqual(spec.policyTypes, ["Ingress", "Egress"]);
        assert.deepEqual(spec.egress, [
            {
                ports: [
                    ...PORTS,
                    { protocol: "TCP", port: 443 },
                    { protocol: "TCP", port: 6443 },
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ]);
    });
});

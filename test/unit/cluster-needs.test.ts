// What the preflight check reads of the cluster for a stack (components/cluster-needs.ts), and the
// Kubernetes version rule (lib/kube-versions.ts): its floor is the chart's, its newest version the
// toolchain's, and each version gets the line the check gives it (the apiserver tier checks that
// Helm's semverCompare in templates/check.yaml agrees, version by version).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import * as YAML from "yaml";

import { clusterNeeds, dataClaims, ingressNeeds, sharedClassNeed, SINGLE_NODE_PROVISIONERS } from "../../components/cluster-needs";
import { parseConfig } from "../../config";
import { CHART_KUBE_VERSION, KUBE_RANGE, kubeVersionProblem, kubeVersionRule, NEWEST_TESTED } from "../../lib/kube-versions";
import { chartDataDir, rawStackConfig, ROOT } from "../support/helpers";
import { KUBE_VERSION_CASES } from "../support/kube-versions";

const dev = parseConfig(rawStackConfig("dev"), "dev");
const prod = parseConfig({ ...rawStackConfig("prod"), mysqlPassword: "<secret>", ldapBindPassword: "<secret>" }, "prod");
const rule = kubeVersionRule(false);

describe("the Kubernetes version rule", () => {
    it("its floor is the chart's kubeVersion (Chart.yaml of the chart data)", () => {
        const chart = YAML.parse(fs.readFileSync(path.join(chartDataDir(), "Chart.yaml"), "utf8")) as { kubeVersion: string };
        assert.equal(CHART_KUBE_VERSION, chart.kubeVersion);
        assert.equal(rule.required, chart.kubeVersion);
    });

    it("its newest tested version is the toolchain's control plane (.ci/lib.sh KUBE_VERSION) and the kind node's", () => {
        const lib = fs.readFileSync(path.join(ROOT, ".ci", "lib.sh"), "utf8");
        assert.equal(/^KUBE_VERSION=(\d+\.\d+)\./m.exec(lib)?.[1], NEWEST_TESTED);
        assert.equal(/^KIND_NODE_IMAGE=kindest\/node:v(\d+\.\d+)\./m.exec(lib)?.[1], NEWEST_TESTED);
        assert.equal(rule.tested, "<1.38.0-0");
        assert.equal(KUBE_RANGE, "1.28 to 1.37");
    });

    for (const [version, verdict] of KUBE_VERSION_CASES) {
        it(`${version}: ${verdict}`, () => {
            const line = kubeVersionProblem(version, rule);
            if (verdict === "ok") assert.equal(line, undefined);
            else if (verdict === "too old")
                assert.match(line ?? "", new RegExp(`^the API server runs Kubernetes ${version}, older than .* upgrade the cluster to 1\\.28 or newer`));
            else
                assert.match(
                    line ?? "",
                    new RegExp(`^the API server runs Kubernetes ${version}, newer than .*pulumi config set jupyterhub:allowUntestedKubernetes true\\.$`),
                );
        });
    }

    it("allowUntestedKubernetes accepts a newer version, never an older one than the chart's", () => {
        const allowing = kubeVersionRule(true);
        assert.equal(kubeVersionProblem("v1.38.0", allowing), undefined);
        assert.equal(kubeVersionProblem("v2.0.0", allowing), undefined);
        assert.match(kubeVersionProblem("v1.27.16", allowing) ?? "", /older than the Zero to JupyterHub chart supports/);
        assert.equal(parseConfig({ ...rawStackConfig("dev"), allowUntestedKubernetes: true }, "dev").allowUntestedKubernetes, true);
        assert.equal(dev.allowUntestedKubernetes, false);
    });

    it("the lines hold one %s (the version, for Helm's printf) and no other verb", () => {
        for (const line of [rule.tooOld, rule.untested]) assert.deepEqual(line.match(/%./g), ["%s"]);
    });
});

describe("what the stack needs of the cluster", () => {
    it("dev: the database's, the directory's and the NFS server's claims, with the keys that name their classes (none set: the default) and sizes", () => {
        const GiB = 2 ** 30;
        const size = (sizeKey: string, size: string, bytes: number) => ({ sizeKey: `jupyterhub:${sizeKey}`, size, bytes });
        assert.deepEqual(dataClaims(dev), [
            {
                key: "jupyterhub:mysql.storageClass",
                storageClass: "",
                namespace: "jupyterhub-dev",
                name: "mysql-data",
                keptIn: [],
                keepsClass: false,
                ...size("mysql.storageSize", "2Gi", 2 * GiB),
            },
            {
                key: "jupyterhub:ldap.storageClass",
                storageClass: "",
                namespace: "jupyterhub-dev",
                name: "openldap-data",
                keptIn: [],
                keepsClass: false,
                ...size("ldap.storageSize", "1Gi", GiB),
            },
            {
                key: "jupyterhub:nfs.serverStorageClass",
                storageClass: "",
                namespace: "jupyterhub-dev-storage",
                name: "nfs-server-data",
                keptIn: ["jupyterhub-dev"],
                keepsClass: true,
                ...size("nfs.serverStorageSize", "5Gi", 5 * GiB),
            },
        ]);
        const named = parseConfig({ ...rawStackConfig("dev"), mysql: { mode: "in-cluster", storageClass: "fast" } }, "dev");
        assert.equal(dataClaims(named)[0].storageClass, "fast");
        assert.equal(clusterNeeds(dev).ingress, undefined);
        assert.equal(clusterNeeds(dev).csiDriver, undefined);
    });

    it("prod: no claim of its own (external MySQL, directory and NFS), the ingress's class, the CSI driver only when not installed", () => {
        assert.deepEqual(dataClaims(prod), []);
        // Its TLS Secret is cert-manager's, made from the Ingress (the annotation): not looked for.
        assert.deepEqual(ingressNeeds(prod), { namespace: "jupyterhub", host: "hub.example.org", className: "nginx", tlsSecret: "" });
        assert.equal(clusterNeeds(prod).csiDriver, undefined);
        const byDriver = parseConfig({ ...rawStackConfig("dev"), nfs: { installCsiDriver: false } }, "dev");
        assert.equal(clusterNeeds(byDriver).csiDriver, "nfs.csi.k8s.io");
    });

    it("nfs.mode storage-class: the class is looked for, no CSI driver and no NFS server's claim; the NFS modes look for no class", () => {
        const cfg = parseConfig({ ...rawStackConfig("dev"), nfs: { mode: "storage-class", storageClass: "efs-sc" } }, "dev");
        const needs = clusterNeeds(cfg);
        assert.deepEqual(needs.sharedClass, { key: "jupyterhub:nfs.storageClass", name: "efs-sc", singleNode: SINGLE_NODE_PROVISIONERS });
        assert.equal(needs.csiDriver, undefined);
        assert.deepEqual(
            needs.claims.map((c) => c.name),
            ["mysql-data", "openldap-data"],
        );
        assert.equal(sharedClassNeed(dev.nfs), undefined);
        assert.equal(sharedClassNeed(prod.nfs), undefined);
        // Block-storage drivers of the clouds whose file-storage drivers the README names are in the list; those are not.
        for (const p of ["ebs.csi.aws.com", "pd.csi.storage.gke.io", "disk.csi.azure.com"]) assert.ok(SINGLE_NODE_PROVISIONERS.includes(p), p);
        for (const p of [
            "efs.csi.aws.com",
            "filestore.csi.storage.gke.io",
            "file.csi.azure.com",
            "cephfs.csi.ceph.com",
            "driver.longhorn.io",
            "rancher.io/local-path",
        ])
            assert.ok(!SINGLE_NODE_PROVISIONERS.includes(p), p);
    });

    it("a TLS Secret the program makes (self-signed, ingress.tlsCert) or cert-manager makes from the Ingress is not looked for", () => {
        const ingress = (extra: Record<string, unknown>) =>
            ingressNeeds(parseConfig({ ...rawStackConfig("dev"), ingress: { enabled: true, host: "hub.example.org", ...extra } }, "dev"));
        assert.deepEqual(ingress({}), { namespace: "jupyterhub-dev", host: "hub.example.org", className: "", tlsSecret: "" });
        assert.equal(ingress({ tlsSecretName: "given" })?.tlsSecret, "given");
        for (const a of ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer", "kubernetes.io/tls-acme"])
            assert.equal(ingress({ tlsSecretName: "given", annotations: { [a]: "x" } })?.tlsSecret, "", a);
    });
});

// Which Pod Security level each namespace of the stack enforces, decided from the config, and what
// users' pods get so that they fit it (components/pod-security.ts, components/hub/values.ts).
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parseConfig } from "../../config";
import { claimedNames, storageNamespaceOf } from "../../components/cluster";
import { hubValues } from "../../components/hub";
import { hubPodSecurity, podSecurityLabels, restrictedUserPod, USER_POD_CHART_VALUES } from "../../components/pod-security";
import { get, rawStackConfig } from "../support/helpers";
import { seedOverrides } from "../support/seed";

const dev = parseConfig(rawStackConfig("dev"), "dev");
const seedRaw = Object.fromEntries(Object.entries(seedOverrides()).map(([k, v]) => [k.replace(/^jupyterhub:/, ""), v]));
const seed = parseConfig({ ...rawStackConfig("dev"), ...seedRaw, registryPassword: "<secret>" }, "dev");
const wiring = { dbUrl: "mysql+pymysql://u@h:3306/d", dbPoolRecycle: 3600, homeStorageClass: "jupyterhub-home" };

describe("pod security: the hub namespace's level follows the config", () => {
    it("dev: restricted, warned and audited at restricted", () => {
        assert.deepEqual(hubPodSecurity(dev), { enforce: "restricted", warn: "restricted", audit: "restricted" });
    });

    it("grantSudo (the seed): baseline, with the reason; still warned and audited at restricted", () => {
        assert.deepEqual(hubPodSecurity(seed), {
            enforce: "baseline",
            warn: "restricted",
            audit: "restricted",
            reason: "jupyterhub:singleuser.grantSudo starts users' servers as root, which restricted forbids",
        });
    });

    it("chartValues that add containers or pod settings to users' pods: baseline, naming them", () => {
        for (const p of USER_POD_CHART_VALUES) {
            const chartValues: Record<string, unknown> = {};
            p.reduce<Record<string, unknown>>((o, k, i) => (o[k] = i === p.length - 1 ? [{ name: "x" }] : {}) as Record<string, unknown>, chartValues);
            const level = hubPodSecurity({ singleuser: dev.singleuser, chartValues });
            assert.equal(level.enforce, "baseline", p.join("."));
            assert.match(level.reason ?? "", new RegExp(`jupyterhub:chartValues\\.${p.join("\\.")}`));
        }
        assert.equal(hubPodSecurity({ singleuser: dev.singleuser, chartValues: { hub: { allowNamedServers: true } } }).enforce, "restricted");
    });

    it("labels: enforce, warn and audit with their versions; the storage namespace's: privileged", () => {
        assert.deepEqual(podSecurityLabels(hubPodSecurity(seed)), {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": "latest",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/audit-version": "latest",
        });
        assert.deepEqual(podSecurityLabels({ enforce: "privileged" }), {
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/enforce-version": "latest",
        });
    });
});

describe("pod security: users' pods fit the level", () => {
    it("restricted: KubeSpawner gives users' pods runAsNonRoot, RuntimeDefault seccomp and no capabilities", () => {
        const v = hubValues(dev, wiring);
        assert.deepEqual(get(v, "hub.config.KubeSpawner.pod_security_context"), restrictedUserPod().pod_security_context);
        // The home and shared volumes are walked for fsGroup only while their root is not the group's.
        assert.equal(get(v, "hub.config.KubeSpawner.pod_security_context.fsGroupChangePolicy"), "OnRootMismatch");
        assert.deepEqual(get(v, "hub.config.KubeSpawner.container_security_context"), { capabilities: { drop: ["ALL"] } });
    });

    it("grantSudo: none of it (the root start needs the default capabilities) but the volumes' fsGroup policy", () => {
        const v = hubValues(seed, wiring);
        assert.deepEqual(get(v, "hub.config.KubeSpawner.pod_security_context"), { fsGroupChangePolicy: "OnRootMismatch" });
        assert.equal(get(v, "hub.config.KubeSpawner.container_security_context"), undefined);
    });

    it("no privileged iptables init container in users' pods, at any level", () => {
        for (const cfg of [dev, seed]) assert.equal(get(hubValues(cfg, wiring), "singleuser.cloudMetadata.blockWithIptables"), false);
    });

    it("chartValues may not set them back", () => {
        const chartValues = {
            singleuser: { cloudMetadata: { blockWithIptables: true } },
            hub: { config: { KubeSpawner: { privileged: true, container_security_context: { privileged: true } } } },
        };
        assert.throws(
            () => parseConfig({ ...rawStackConfig("dev"), chartValues }, "dev"),
            (e: Error) =>
                /jupyterhub:chartValues\.singleuser\.cloudMetadata\.blockWithIptables is set by the program; remove it: blocking with iptables adds a privileged init container/.test(
                    e.message,
                ) &&
                /jupyterhub:chartValues\.hub\.config\.KubeSpawner\.privileged is set by the program; remove it: the program fits users' pods to the hub namespace's Pod Security level/.test(
                    e.message,
                ) &&
                /jupyterhub:chartValues\.hub\.config\.KubeSpawner\.container_security_context\.privileged is set by the program/.test(e.message),
        );
    });
});

describe("pod security: the storage namespace", () => {
    it("exists with the in-cluster server or the driver, and its name is claimed before anything is created", () => {
        assert.equal(storageNamespaceOf(dev), "jupyterhub-dev-storage");
        assert.equal(storageNamespaceOf({ namespace: "hub", nfs: { ...dev.nfs, mode: "external", installCsiDriver: false } as never }), undefined);
        const names = claimedNames({ namespace: dev.namespace, nfs: dev.nfs });
        const ns = names.find((n) => n.kind === "Namespace" && n.name === "jupyterhub-dev-storage");
        assert.match(ns?.fix ?? "", /storage namespace of jupyterhub:namespace "jupyterhub-dev"/);
    });
});

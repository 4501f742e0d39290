// The preflight check (components/preflight, templates/check.yaml) against a real kube-apiserver:
// rendered by real Helm as pulumi-kubernetes renders a helm.v4.Chart (`helm template
// --dry-run=server`, whose `lookup` reads the cluster, with the API server's own version as
// `.Capabilities.KubeVersion`: provider/pkg/provider/helm/v4/chart.go), with the values the program
// passes (its run under mocks, support/program.ts). One case per problem, each with the cluster
// lacking one piece: the check fails in seconds with one line per problem, naming the key or the
// object and the fix. helm template creates nothing, and neither does the program: every object
// waits for the check (the e2e tier shows `pulumi up` creating nothing).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { preflightValues } from "../../components/cluster";
import { clusterArgs } from "../../components/cluster-needs";
import { parseConfig } from "../../config";
import { kubeVersionProblem, type KubeVersionRule } from "../../lib/kube-versions";
import { kubectl } from "../support/apiserver-harness";
import { rawStackConfig, ROOT, run } from "../support/helpers";
import { KUBE_VERSION_CASES } from "../support/kube-versions";

type Obj = Record<string, unknown>;
const NS = "jhub-pf";
const OWNER = "organization/jupyterhub/dev";
/** The namespace of the case with every problem at once. */
const ALL = "jhub-pf-all";
const CHART = path.join(ROOT, "components", "preflight");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-preflight-"));

const apply = (...items: Obj[]) =>
    kubectl(["apply", "--server-side", "--field-manager=jhub-preflight-test", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
const del = (kind: string, name: string, ns?: string) => kubectl(["delete", kind, name, ...(ns ? ["-n", ns] : []), "--ignore-not-found", "--wait=false"]);
const exists = (kind: string, name: string, ns?: string) =>
    kubectl(["get", kind, name, ...(ns ? ["-n", ns] : []), "--ignore-not-found", "-o", "name"]).trim() !== "";

const SC = { a: "jhub-pf-a", b: "jhub-pf-b", wffc: "jhub-pf-wffc", rwx: "jhub-pf-rwx", none: "jhub-pf-none", ebs: "jhub-pf-ebs" };
function storageClass(name: string, isDefault: boolean, binding: "Immediate" | "WaitForFirstConsumer" = "Immediate"): Obj {
    return {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name, annotations: { "storageclass.kubernetes.io/is-default-class": String(isDefault) } },
        provisioner: "example.com/jhub-preflight-test",
        volumeBindingMode: binding,
    };
}
const IC = { nginx: "jhub-pf-nginx", other: "jhub-pf-other" };
function ingressClass(name: string, isDefault: boolean): Obj {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "IngressClass",
        metadata: { name, annotations: { "ingressclass.kubernetes.io/is-default-class": String(isDefault) } },
        spec: { controller: "example.com/jhub-preflight-test" },
    };
}

/** The in-cluster database with the dev stack's size (2Gi) and these fields. */
const mysql = (fields: Record<string, string> = {}) => ({ "jupyterhub:mysql": { mode: "in-cluster", storageSize: "2Gi", ...fields } });

async function until(what: string, ok: () => boolean, seconds = 60): Promise<void> {
    const end = Date.now() + seconds * 1000;
    while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

/**
 * The preflight's values as the program passes them for the dev stack in NS with these overrides
 * (`jupyterhub:` keys): the program's own functions on the parsed config (test/program/preflight.test.ts
 * checks that they are what the program passes), without a program run for each case.
 */
function valuesFor(overrides: Record<string, unknown> = {}): Obj {
    const raw = {
        ...rawStackConfig("dev"),
        namespace: NS,
        ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k.replace(/^jupyterhub:/, ""), v])),
    };
    return JSON.parse(JSON.stringify(preflightValues(clusterArgs(parseConfig(raw, "dev")), OWNER))) as Obj;
}

let serverVersion = "";
/** Renders the check; its lines (one per problem) when it fails, [] when it passes, and the time it took. */
function preflight(values: Obj, kubeVersion = serverVersion): { lines: string[]; message: string; ms: number } {
    const file = path.join(work, "values.json");
    fs.writeFileSync(file, JSON.stringify(values));
    const t0 = Date.now();
    try {
        const out = run("helm", ["template", "cluster-preflight", CHART, "--namespace", NS, "--dry-run=server", "--kube-version", kubeVersion, "-f", file]);
        assert.doesNotMatch(out, /^kind:/m, "the check renders no object");
        return { lines: [], message: "", ms: Date.now() - t0 };
    } catch (e) {
        const ms = Date.now() - t0;
        const message = String((e as Error).message);
        const header = /nothing was deployed: the cluster cannot take this stack \(([^)]*)\) as it is configured, (\d+) problem\(s\), each with its fix:/.exec(
            message,
        );
        assert.ok(header, `the check failed without its header:\n${message}`);
        const lines = message
            .split("\n")
            .filter((l) => l.startsWith("  - "))
            .map((l) => l.slice(4));
        assert.equal(lines.length, Number(header[2]), message);
        return { lines, message: message.slice(message.indexOf("nothing was deployed")), ms };
    }
}

/** Renders, prints the case's message and time, and checks it failed on exactly these lines. */
function refuses(what: string, values: Obj, expected: RegExp[]): string[] {
    const { lines, message, ms } = preflight(values);
    console.log(`preflight: ${what}: refused in ${ms} ms\n${message.replace(/^/gm, "    ")}`);
    assert.equal(lines.length, expected.length, `expected ${expected.length} line(s):\n${lines.join("\n")}`);
    expected.forEach((re, i) => assert.match(lines[i], re));
    assert.ok(ms < 20000, `refused in ${ms} ms`);
    const ns = (values.hub as { namespace: string }).namespace;
    assert.equal(exists("namespace", ns), false, `no namespace ${ns} was created`);
    return lines;
}

function passes(what: string, values: Obj): void {
    const { lines, ms } = preflight(values);
    console.log(`preflight: ${what}: passed in ${ms} ms`);
    assert.deepEqual(lines, []);
}

describe("real kube-apiserver: the preflight check refuses a cluster that cannot take the stack, before anything exists", () => {
    let dev: Obj;
    before(() => {
        if (!process.env.KUBECONFIG) throw new Error("KUBECONFIG is not set: run this through `npm run test:apiserver` (.ci/apiserver.sh)");
        serverVersion = (JSON.parse(kubectl(["version", "-o", "json"])) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
        // The local control plane has no default class (as a bare kubeadm cluster): the cases add theirs.
        const defaults = (JSON.parse(kubectl(["get", "storageclasses", "-o", "json"])) as { items: Array<{ metadata: Obj }> }).items.filter(
            (c) => (c.metadata.annotations as Record<string, string> | undefined)?.["storageclass.kubernetes.io/is-default-class"] === "true",
        );
        assert.deepEqual(defaults, [], "the cluster must start without a default StorageClass for these cases");
        dev = valuesFor();
    });

    after(() => {
        for (const name of Object.values(SC)) del("storageclass", name);
        for (const name of Object.values(IC)) del("ingressclass", name);
        for (const ns of [NS, "jhub-pf-elsewhere"]) del("namespace", ns);
        del("persistentvolume", "jhub-pf-mysql");
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("no default StorageClass: the three claims that name none, each with its key", () => {
        apply(storageClass(SC.a, false));
        refuses("no default StorageClass", dev, [
            /^PersistentVolumeClaim jhub-pf\/mysql-data names no StorageClass \(jupyterhub:mysql\.storageClass is not set\), and the cluster has no default class: .* Set jupyterhub:mysql\.storageClass to a class of the cluster \(it has .*jhub-pf-a.*\), or make one the default: kubectl annotate storageclass <name> storageclass\.kubernetes\.io\/is-default-class=true\.$/,
            /^PersistentVolumeClaim jhub-pf\/openldap-data names no StorageClass \(jupyterhub:ldap\.storageClass is not set\), and the cluster has no default class/,
            /^PersistentVolumeClaim jhub-pf-storage\/nfs-server-data names no StorageClass \(jupyterhub:nfs\.serverStorageClass is not set\), and the cluster has no default class/,
        ]);
    });

    it("two default StorageClasses: the same claims, naming both", () => {
        apply(storageClass(SC.a, true), storageClass(SC.b, true));
        refuses("two default StorageClasses", dev, [
            /^PersistentVolumeClaim jhub-pf\/mysql-data names no StorageClass \(jupyterhub:mysql\.storageClass is not set\), and the cluster has 2 default classes \(jhub-pf-a, jhub-pf-b\): .* Set jupyterhub:mysql\.storageClass to one of them, or leave one default/,
            /openldap-data .* 2 default classes \(jhub-pf-a, jhub-pf-b\)/,
            /nfs-server-data .* 2 default classes \(jhub-pf-a, jhub-pf-b\)/,
        ]);
    });

    it("one default StorageClass, with WaitForFirstConsumer binding: passes", () => {
        apply(storageClass(SC.a, false), storageClass(SC.b, false), storageClass(SC.wffc, true, "WaitForFirstConsumer"));
        passes("one default StorageClass (WaitForFirstConsumer)", dev);
    });

    it("a named StorageClass that does not exist: its key, the class, the claim", () => {
        const values = valuesFor({ "jupyterhub:mysql": { mode: "in-cluster", storageClass: "jhub-pf-missing" } });
        refuses("a missing named StorageClass", values, [
            /^jupyterhub:mysql\.storageClass names StorageClass "jhub-pf-missing" for the claim jhub-pf\/mysql-data, and the cluster has no such class \(it has .*jhub-pf-a.*\): name one of the cluster's classes, or create that one first\.$/,
        ]);
        passes("a named StorageClass that exists", valuesFor({ "jupyterhub:mysql": { mode: "in-cluster", storageClass: SC.a } }));
    });

    it("ingress.className naming an IngressClass that does not exist", () => {
        apply(ingressClass(IC.other, false));
        const values = valuesFor({ "jupyterhub:ingress": { enabled: true, host: "hub.pf.example.org", className: IC.nginx } });
        refuses("a missing IngressClass", values, [
            /^jupyterhub:ingress\.className names IngressClass "jhub-pf-nginx", and the cluster has no such class \(it has .*jhub-pf-other.*\): name one of them, or install the controller of that class first\.$/,
        ]);
        apply(ingressClass(IC.nginx, false));
        passes("an IngressClass that exists", values);
    });

    it("no ingress.className and no default IngressClass, then two defaults", () => {
        const values = valuesFor({ "jupyterhub:ingress": { enabled: true, host: "hub.pf.example.org" } });
        refuses("no default IngressClass", values, [
            /^jupyterhub:ingress\.className is not set, and the cluster has no default IngressClass: .* Set jupyterhub:ingress\.className to a class of the cluster \(it has .*jhub-pf-nginx.*\), or make one the default: kubectl annotate ingressclass <name> ingressclass\.kubernetes\.io\/is-default-class=true\.$/,
        ]);
        apply(ingressClass(IC.nginx, true), ingressClass(IC.other, true));
        refuses("two default IngressClasses", values, [
            /^jupyterhub:ingress\.className is not set, and the cluster has 2 default IngressClasses \(jhub-pf-nginx, jhub-pf-other\): the API server refuses an Ingress without a class then\./,
        ]);
        apply(ingressClass(IC.other, false));
        passes("one default IngressClass", values);
    });

    it("ingress.tlsSecretName naming a Secret that is not in the namespace, then one that is no TLS Secret; then the fix it names", () => {
        const values = valuesFor({
            "jupyterhub:ingress": { enabled: true, host: "hub.pf.example.org", className: IC.nginx, tlsSecretName: "hub-pf-tls" },
        });
        const [line] = refuses("a missing TLS Secret", values, [
            /^jupyterhub:ingress\.tlsSecretName names Secret jhub-pf\/hub-pf-tls, which does not exist: .* Create it \(kubectl -n jhub-pf create secret tls hub-pf-tls --cert=tls\.crt --key=tls\.key; a namespace made by hand needs the annotation platform\.jupyterhub\.org\/stack=\S+ to be taken by this stack\)/,
        ]);
        // The fix as the line gives it: the namespace, annotated as this stack's, and the Secret.
        const [annotation, owner] = /needs the annotation ([^=]+)=(\S+) to be taken/.exec(line)!.slice(1);
        apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS, annotations: { [annotation]: owner } } });
        apply({
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "hub-pf-tls", namespace: NS },
            type: "Opaque",
            stringData: { "tls.crt": "x", "tls.key": "y" },
        });
        const wrong = preflight(values);
        console.log(`preflight: a TLS Secret of another type: refused in ${wrong.ms} ms\n    ${wrong.lines.join("\n    ")}`);
        assert.deepEqual(wrong.lines.length, 1, wrong.message);
        assert.match(wrong.lines[0], /^jupyterhub:ingress\.tlsSecretName names Secret jhub-pf\/hub-pf-tls, whose type is "Opaque", not kubernetes\.io\/tls/);
        kubectl(["delete", "secret", "hub-pf-tls", "-n", NS, "--wait=true"]);
        const [crt, key] = selfSigned("hub.pf.example.org");
        kubectl(["create", "secret", "tls", "hub-pf-tls", "-n", NS, `--cert=${crt}`, `--key=${key}`]);
        passes("the TLS Secret created as the line says, in the namespace annotated as it says", values);
        const certManager = valuesFor({
            "jupyterhub:namespace": "jhub-pf-cm",
            "jupyterhub:ingress": {
                enabled: true,
                host: "hub.pf.example.org",
                className: IC.nginx,
                tlsSecretName: "hub-pf-tls",
                annotations: { "cert-manager.io/cluster-issuer": "x" },
            },
        });
        passes("a TLS Secret cert-manager makes from the Ingress (not looked for)", certManager);
    });

    it("a claim kept with another class than its key now names (a claim's class cannot change)", () => {
        assert.ok(exists("namespace", NS), "the namespace of the previous case, annotated as this stack's");
        apply({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: "mysql-data", namespace: NS },
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: SC.a, resources: { requests: { storage: "2Gi" } } },
        });
        const { lines, ms, message } = preflight(valuesFor(mysql({ storageClass: SC.b })));
        console.log(`preflight: a kept claim of another class: refused in ${ms} ms\n${message.replace(/^/gm, "    ")}`);
        assert.equal(lines.length, 1, message);
        assert.match(
            lines[0],
            /^PersistentVolumeClaim jhub-pf\/mysql-data is kept from an earlier update with StorageClass "jhub-pf-a", and jupyterhub:mysql\.storageClass names "jhub-pf-b": a claim's class cannot change.* Set jupyterhub:mysql\.storageClass to "jhub-pf-a" \(or remove it\)/,
        );
        passes("a kept claim, its class unset in the config", valuesFor(mysql()));
        passes("a kept claim, its own class in the config", valuesFor(mysql({ storageClass: SC.a })));
    });

    it("a kept claim's size: never smaller; larger only when it is bound and its class allows expansion", async () => {
        const shrink = preflight(valuesFor(mysql({ storageSize: "1Gi" })));
        console.log(`preflight: a kept claim made smaller: refused in ${shrink.ms} ms\n    ${shrink.lines.join("\n    ")}`);
        assert.equal(shrink.lines.length, 1, shrink.message);
        assert.match(
            shrink.lines[0],
            /^PersistentVolumeClaim jhub-pf\/mysql-data is kept from an earlier update with 2Gi, and jupyterhub:mysql\.storageSize asks for 1Gi: a claim cannot shrink.* Set jupyterhub:mysql\.storageSize to 2Gi \(or more\)\.$/,
        );
        const larger = valuesFor(mysql({ storageSize: "3Gi" }));
        const unbound = preflight(larger);
        console.log(`preflight: a kept claim, not bound, made larger: refused in ${unbound.ms} ms\n    ${unbound.lines.join("\n    ")}`);
        assert.equal(unbound.lines.length, 1, unbound.message);
        assert.match(
            unbound.lines[0],
            /^PersistentVolumeClaim jhub-pf\/mysql-data .* asks for 3Gi: it cannot grow, because it is not bound, .* Set jupyterhub:mysql\.storageSize back to 2Gi/,
        );
        // Bound to a volume as a provisioner would bind it; its class does not allow expansion yet.
        apply({
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: "jhub-pf-mysql" },
            spec: {
                capacity: { storage: "2Gi" },
                accessModes: ["ReadWriteOnce"],
                storageClassName: SC.a,
                hostPath: { path: "/var/lib/jhub-pf-mysql" },
                claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: NS, name: "mysql-data" },
            },
        });
        await until("the kept claim bound", () => kubectl(["get", "pvc", "mysql-data", "-n", NS, "-o", "jsonpath={.status.phase}"]) === "Bound");
        const fixed = preflight(larger);
        console.log(`preflight: a kept claim whose class does not expand, made larger: refused in ${fixed.ms} ms\n    ${fixed.lines.join("\n    ")}`);
        assert.equal(fixed.lines.length, 1, fixed.message);
        assert.match(fixed.lines[0], /it cannot grow, because its StorageClass "jhub-pf-a" does not allow volume expansion \(allowVolumeExpansion\)/);
        kubectl(["patch", "storageclass", SC.a, "--type=merge", "-p", JSON.stringify({ allowVolumeExpansion: true })]);
        passes("a kept claim, bound, its class expanding, made larger", larger);
        passes("a kept claim, its size unchanged", valuesFor(mysql()));
    });

    it("nfs.installCsiDriver false on a cluster without csi-driver-nfs", () => {
        assert.equal(exists("csidriver", "nfs.csi.k8s.io"), false, "no csi-driver-nfs on this cluster");
        const values = valuesFor({ "jupyterhub:nfs": { ...(rawStackConfig("dev").nfs as object), installCsiDriver: false } });
        const { lines, ms, message } = preflight(values);
        console.log(`preflight: no csi-driver-nfs: refused in ${ms} ms\n${message.replace(/^/gm, "    ")}`);
        assert.deepEqual(lines.length, 1, message);
        assert.match(
            lines[0],
            /^jupyterhub:nfs\.installCsiDriver is false, and the cluster has no CSIDriver nfs\.csi\.k8s\.io: .* Set jupyterhub:nfs\.installCsiDriver to true/,
        );
    });

    it("nfs.mode storage-class: a missing class, one that provisions nothing, one of a single-node provisioner; then a class that may share", () => {
        const classOf = (name: string, provisioner: string): Obj => ({
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name },
            provisioner,
        });
        const values = (storageClass: string) => valuesFor({ "jupyterhub:nfs": { mode: "storage-class", storageClass } });
        // As refuses(), but the namespace jhub-pf exists by now (the kept claims' cases made it).
        const refused = (what: string, v: Obj, re: RegExp) => {
            const { lines, ms, message } = preflight(v);
            console.log(`preflight: ${what}: refused in ${ms} ms\n${message.replace(/^/gm, "    ")}`);
            assert.equal(lines.length, 1, message);
            assert.match(lines[0], re);
        };
        refused(
            "nfs.storageClass missing",
            values(SC.rwx),
            /^jupyterhub:nfs\.storageClass names StorageClass "jhub-pf-rwx", and the cluster has no such class \(it has .*\): homes, the shared volume, group shares and backups are claims of it\. Name a ReadWriteMany class of the cluster .*, or create that one first\.$/,
        );
        apply(classOf(SC.none, "kubernetes.io/no-provisioner"), classOf(SC.ebs, "ebs.csi.aws.com"));
        refused(
            "nfs.storageClass without a provisioner",
            values(SC.none),
            /^jupyterhub:nfs\.storageClass names StorageClass "jhub-pf-none", whose provisioner is kubernetes\.io\/no-provisioner: it makes no volumes/,
        );
        refused(
            "nfs.storageClass of a single-node provisioner",
            values(SC.ebs),
            /^jupyterhub:nfs\.storageClass names StorageClass "jhub-pf-ebs", whose provisioner ebs\.csi\.aws\.com makes volumes only one node mounts \(ReadWriteOnce\): .* use jupyterhub:nfs\.mode "in-cluster" on this class\.$/,
        );
        // What the check cannot tell: any other provisioner passes (EFS's here).
        apply(classOf(SC.rwx, "efs.csi.aws.com"));
        passes("nfs.storageClass of a provisioner not known to serve one node only", values(SC.rwx));
    });

    it("ingress.host already served at / by an Ingress of another namespace", () => {
        apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "jhub-pf-elsewhere" } });
        const rule = (host: string, p: string) => ({
            host,
            http: { paths: [{ path: p, pathType: "Prefix", backend: { service: { name: "x", port: { number: 80 } } } }] },
        });
        apply({
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: { name: "other-site", namespace: "jhub-pf-elsewhere" },
            spec: { ingressClassName: IC.nginx, rules: [rule("hub.pf.example.org", "/grafana"), rule("taken.pf.example.org", "/")] },
        });
        passes(
            "a host another Ingress serves at another path",
            valuesFor({ "jupyterhub:ingress": { enabled: true, host: "hub.pf.example.org", className: IC.nginx } }),
        );
        const { lines, ms, message } = preflight(valuesFor({ "jupyterhub:ingress": { enabled: true, host: "taken.pf.example.org", className: IC.nginx } }));
        console.log(`preflight: a host taken: refused in ${ms} ms\n${message.replace(/^/gm, "    ")}`);
        assert.equal(lines.length, 1, message);
        assert.match(
            lines[0],
            /^Ingress jhub-pf-elsewhere\/other-site already serves host taken\.pf\.example\.org at \/: .* Choose another jupyterhub:ingress\.host/,
        );
    });

    it("every problem at once, in one failure", () => {
        for (const name of Object.values(SC)) del("storageclass", name);
        const values = valuesFor({
            "jupyterhub:namespace": ALL,
            "jupyterhub:mysql": { mode: "in-cluster", storageClass: "jhub-pf-missing" },
            "jupyterhub:ingress": { enabled: true, host: "taken.pf.example.org", className: "jhub-pf-absent", tlsSecretName: "hub-pf-tls" },
        });
        refuses("every problem at once", values, [
            /^jupyterhub:mysql\.storageClass names StorageClass "jhub-pf-missing"/,
            /^PersistentVolumeClaim jhub-pf-all\/openldap-data names no StorageClass/,
            /^PersistentVolumeClaim jhub-pf-all-storage\/nfs-server-data names no StorageClass/,
            /^jupyterhub:ingress\.className names IngressClass "jhub-pf-absent"/,
            /^jupyterhub:ingress\.tlsSecretName names Secret jhub-pf-all\/hub-pf-tls, which does not exist/,
            /^Ingress jhub-pf-elsewhere\/other-site already serves host taken\.pf\.example\.org/,
        ]);
    });

    it("the API server's version: Helm's semverCompare in the check gives each version the line kubeVersionProblem gives it", () => {
        const rule = (dev.needs as { kube: KubeVersionRule }).kube;
        apply(storageClass(SC.wffc, true, "WaitForFirstConsumer"));
        assert.equal(kubeVersionProblem(serverVersion, rule), undefined, `this control plane (${serverVersion}) is a tested version`);
        for (const [version, verdict] of KUBE_VERSION_CASES) {
            const { lines, ms } = preflight(dev, version);
            // `helm template --kube-version` keeps major.minor.patch only (the provider passes the
            // server's gitVersion whole): the line names the version as Helm has it.
            const asHelmHasIt = /^v?\d+\.\d+\.\d+/.exec(version)![0].replace(/^v?/, "v");
            const expected = kubeVersionProblem(asHelmHasIt, rule);
            console.log(`preflight: Kubernetes ${version} (${verdict}): ${lines.length ? `refused in ${ms} ms: ${lines[0]}` : `passed in ${ms} ms`}`);
            assert.deepEqual(lines, expected === undefined ? [] : [expected], version);
            assert.equal(expected === undefined, verdict === "ok", version);
        }
        const allowing = { ...dev, needs: { ...(dev.needs as Obj), kube: { ...rule, allowUntested: true } } };
        assert.deepEqual(preflight(allowing, "v1.38.0").lines, [], "allowUntestedKubernetes accepts a newer version");
        assert.equal(preflight(allowing, "v1.27.16").lines.length, 1, "never an older one than the chart's");
    });

    it("without a cluster to read (plain helm template: lookup finds nothing), the check judges nothing it cannot see", () => {
        const file = path.join(work, "values.json");
        fs.writeFileSync(file, JSON.stringify(dev));
        const out = run("helm", ["template", "cluster-preflight", CHART, "--namespace", NS, "--kube-version", "v1.20.0", "-f", file]);
        assert.doesNotMatch(out, /^kind:/m);
    });
});

/** A self-signed certificate and key for a host, as files. */
function selfSigned(host: string): [string, string] {
    const [crt, key] = [path.join(work, "tls.crt"), path.join(work, "tls.key")];
    run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${host}`, "-keyout", key, "-out", crt]);
    return [crt, key];
}

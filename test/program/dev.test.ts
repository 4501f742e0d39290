import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";

import { sshaHash } from "../../components/directory/passwords";
import { HUB_SECRET, PROXY_TOKEN_KEY, PROXY_TOKEN_READERS } from "../../components/hub";
import { derivedUserPassword, derivedUserSalt } from "../../components/directory/passwords";
import { proxyTokenFingerprint } from "../../components/secrets";
import { applyTransforms, ChartDeployment, z2jhDeployment } from "../support/chart-deployments";
import { plainInputs } from "../support/dynamic-provider";
import { at, get, promiseOf } from "../support/helpers";
import { exportedOutputs, isSecretWrapped, plainStrings, ProgramRun, reveal, runProgram } from "../support/program";

let run: ProgramRun;
before(async () => {
    run = await runProgram("dev");
});

describe("program (dev stack, under mocks): what gets created", () => {
    it("creates the namespace, storage, directory, database and the chart", () => {
        const kinds = new Set(run.resources.map((r) => r.type));
        for (const t of [
            "kubernetes:core/v1:Namespace",
            "kubernetes:storage.k8s.io/v1:StorageClass",
            "kubernetes:storage.k8s.io/v1:CSIDriver",
            "kubernetes:apps/v1:DaemonSet",
            "kubernetes:core/v1:PersistentVolume",
            "kubernetes:apps/v1:StatefulSet",
            "kubernetes:batch/v1:Job",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "kubernetes:helm.sh/v4:Chart",
            "jupyterhub:index:NfsStorage",
            "jupyterhub:index:OpenLdap",
            "jupyterhub:index:MySql",
            "jupyterhub:index:JupyterHub",
            "jupyterhub:index:HubSecrets",
        ]) {
            assert.ok(kinds.has(t), `missing ${t}`);
        }
        assert.equal(get(run.byName("namespace").inputs, "metadata.name"), "jupyterhub-dev");
    });

    it("pins the chart version from the official repository", () => {
        const chart = run.byName("jupyterhub").inputs;
        assert.equal(chart.chart, "jupyterhub");
        assert.equal(chart.version, "4.4.0");
        assert.equal(get(chart, "repositoryOpts.repo"), "https://hub.jupyter.org/helm-chart/");
    });

    it("home StorageClass: csi-driver-nfs on the in-cluster server's ClusterIP, data retained", () => {
        const sc = run.byName("nfs-home").inputs;
        assert.equal(sc.provisioner, "nfs.csi.k8s.io");
        assert.equal(sc.reclaimPolicy, "Retain");
        assert.equal(get(sc, "parameters.server"), "10.96.0.42");
        assert.equal(get(sc, "parameters.onDelete"), "retain");
        assert.equal(get(sc, "parameters.mountPermissions"), "0");
        assert.equal(get(sc, "parameters.subDir"), "${pvc.metadata.namespace}-${pvc.metadata.name}");
    });

    it("MySQL: 8.4 on its own block volume, ClusterIP only", () => {
        const sts = run.byName("mysql", "StatefulSet").inputs;
        assert.match(String(get(sts, "spec.template.spec.containers.0.image")), /^mysql:8\.4\./);
        const pvc = run.resources.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim" && get(r.inputs, "metadata.name") === "mysql-data")!;
        assert.equal(get(pvc.inputs, "spec.storageClassName"), undefined, "cluster default block class, not the NFS class");
        const svc = run.ofType("kubernetes:core/v1:Service").find((s) => get(s.inputs, "metadata.name") === "mysql")!;
        assert.equal(get(svc.inputs, "spec.type"), "ClusterIP");
    });
});

describe("program (dev stack): wiring between components", () => {
    it("the MySQL password in the MySQL Secret is the one in the hub's database URL, which only the hub's Secret holds", () => {
        const secret = reveal(run.byName("mysql-credentials", "Secret").inputs);
        const hubPassword = at(secret, "stringData", "hub-password") as string;
        const merged = JSON.parse(String(at(reveal(run.byName("jupyterhub-secrets", "Secret").inputs), "stringData", "values.yaml"))) as unknown;
        const url = String(get(merged, "hub.db.url"));
        const parsed = new URL(url.replace("mysql+pymysql", "mysql"));
        assert.ok(hubPassword.length >= 32);
        assert.equal(decodeURIComponent(parsed.password), hubPassword);
        assert.equal(parsed.hostname, "mysql.jupyterhub-dev.svc.cluster.local");
        assert.ok(String(at(secret, "stringData", "init.sql")).includes(`IDENTIFIED BY '${hubPassword}'`));
        // The chart values name the same server, user and database, without the password.
        const chartUrl = String(get(run.byName("jupyterhub").inputs, "values.hub.db.url"));
        parsed.password = "";
        assert.equal(chartUrl, parsed.toString().replace(/^mysql:/, "mysql+pymysql:"));
    });

    it("the proxy's token: HubSecrets generates it, the hub's Secret holds it, the chart's hub and proxy are pointed there and carry its fingerprint", async () => {
        const generated = run.byName("hub-secrets-proxy-token", "Resource");
        assert.deepEqual(plainInputs(generated), { namespace: "jupyterhub-dev", secretName: HUB_SECRET, key: PROXY_TOKEN_KEY, value: "" });
        const token = at(reveal(run.byName("jupyterhub-secrets", "Secret").inputs), "stringData", PROXY_TOKEN_KEY);
        assert.equal(token, generated.outputs.value);
        assert.ok(!JSON.stringify(run.byName("jupyterhub").inputs).includes(String(token)), "not a chart value");
        const transforms = run.byName("jupyterhub").transforms;
        for (const name of PROXY_TOKEN_READERS) {
            const deployment = applyTransforms(transforms, z2jhDeployment(name as ChartDeployment));
            const env = get(deployment, "spec.template.spec.containers.0.env") as Array<{ name: string; valueFrom?: unknown }>;
            assert.deepEqual(
                env.find((e) => e.name === "CONFIGPROXY_AUTH_TOKEN")?.valueFrom,
                { secretKeyRef: { name: HUB_SECRET, key: PROXY_TOKEN_KEY } },
                name,
            );
            const fingerprint = get(deployment, "spec.template.metadata.annotations.checksum/auth-token") as pulumi.Output<string>;
            assert.equal(await promiseOf(fingerprint), proxyTokenFingerprint(String(token)), name);
            assert.equal(await pulumi.isSecret(fingerprint), false, `${name}: the fingerprint is no secret, so the annotation stays readable in previews`);
        }
    });

    it("the LDAP bind template and allowed group match the bootstrapped tree", () => {
        const ldif = String(at(reveal(run.byName("openldap-bootstrap", "Secret").inputs), "stringData", "tree.ldif"));
        const auth = get(reveal(run.byName("jupyterhub").inputs), "values.hub.config.LDAPAuthenticator") as Record<string, unknown>;
        const [template] = auth.bind_dn_template as string[];
        const demoDn = template.replace("{username}", "demo");
        assert.ok(ldif.includes(`dn: ${demoDn}\n`), `${demoDn} not in the LDIF`);
        const [group] = auth.allowed_groups as string[];
        const entry = ldif.split("\n\n").find((e) => e.startsWith(`dn: ${group}\n`));
        assert.ok(entry, `${group} not in the LDIF`);
        assert.ok(entry.includes(`member: ${demoDn}`));
        assert.ok(!entry.includes("uid=outsider"), "outsider must not be in the allowed group");
    });

    it("the hub trusts the directory's CA and the directory serves the CA-signed certificate", () => {
        const ca = at(run.byName("jupyterhub-ldap-ca").inputs, "data", "ca.crt");
        const tlsSecret = reveal(run.byName("openldap-tls", "Secret").inputs);
        assert.equal(at(tlsSecret, "stringData", "ca.crt"), ca);
        assert.match(String(ca), /BEGIN CERTIFICATE/);
        const csr = run.byName("openldap-server", "CertRequest").inputs;
        assert.ok((csr.dnsNames as string[]).includes("openldap.jupyterhub-dev.svc.cluster.local"));
    });

    it("every user pod mounts the shared claim the NFS component created", () => {
        const claim = get(run.byName("nfs-shared", "PersistentVolumeClaim").inputs, "metadata.name");
        const values = reveal(run.byName("jupyterhub").inputs);
        assert.deepEqual(get(values, "values.singleuser.storage.extraVolumes"), [{ name: "shared", persistentVolumeClaim: { claimName: claim } }]);
    });

    it("the group shares' claim the NFS component created is the one the spawn hook mounts; the server prepares each share's directory", () => {
        const pvc = run.byName("nfs-group-shares", "PersistentVolumeClaim").inputs;
        assert.equal(get(pvc, "spec.volumeName"), "jupyterhub-dev-group-shares");
        assert.equal(get(run.byName("nfs-group-shares", "PersistentVolume").inputs, "spec.csi.volumeAttributes.share"), "/groups");
        const hook = String(get(reveal(run.byName("jupyterhub").inputs), "values.hub.extraConfig.10-spawn-hooks"));
        const data = JSON.parse(JSON.parse(/^_SPAWN_HOOKS = _json\.loads\((".*")\)$/m.exec(hook)![1]) as string) as unknown;
        assert.equal(get(data, "groupShares.claimName"), get(pvc, "metadata.name"));
        const server = run.byName("nfs-server", "Deployment").inputs;
        const init = get(server, "spec.template.spec.initContainers.0") as { command: string[]; env: { name: string; value: string }[] };
        assert.deepEqual(init.command, ["sh", "/scripts/prepare-exports.sh"]);
        assert.deepEqual(init.env.slice(0, 2), [
            { name: "EXPORT_ROOT", value: "/exports" },
            { name: "EXPORT_DIRS", value: "shared groups groups/course-101" },
        ]);
    });

    it("every group the hub reads is a group of the bootstrapped directory", () => {
        const ldif = String(at(reveal(run.byName("openldap-bootstrap", "Secret").inputs), "stringData", "tree.ldif"));
        const groups = get(reveal(run.byName("jupyterhub").inputs), "values.hub.config.LDAPAuthenticator.allowed_groups") as string[];
        assert.equal(groups.length, 4);
        for (const g of groups) assert.ok(ldif.includes(`dn: ${g}\nobjectClass: top\nobjectClass: groupOfNames\n`), `${g} not in the LDIF`);
    });

    it("the hub waits for storage, database and directory; PVs and the class wait for the driver", () => {
        const hub = run.byName("jupyterhub");
        const component = run.resources.find((r) => r.type === "jupyterhub:index:JupyterHub")!;
        assert.ok(
            component.dependsOn.includes("nfs") && component.dependsOn.includes("mysql") && component.dependsOn.includes("openldap"),
            component.dependsOn.join(","),
        );
        assert.ok(hub.dependsOn.includes("jupyterhub-ldap-ca"));
        assert.ok(run.byName("nfs-home").dependsOn.includes("nfs-csi-driver"));
        const job = run.resources.find((r) => r.type === "kubernetes:batch/v1:Job")!;
        assert.ok(job.dependsOn.includes("openldap"), job.dependsOn.join(","));
    });
});

describe("program (dev stack): secrets stay secret", () => {
    it("generates every secret it needs (passwords, random bytes, keys)", () => {
        assert.ok(run.generatedSecrets.length >= 10, String(run.generatedSecrets.length));
    });

    it("no generated secret appears outside a secret wrapper in any resource's inputs", () => {
        const leaks: string[] = [];
        for (const r of run.resources) {
            for (const [path, s] of plainStrings(r.inputs)) {
                for (const secret of run.generatedSecrets) {
                    if (s.includes(secret)) leaks.push(`${r.type} ${r.name} ${path}`);
                }
            }
        }
        assert.deepEqual(leaks, []);
    });

    it("no Kubernetes object but a Secret holds a generated secret, wrapped or not (the chart values included)", () => {
        // A secret Output put in a label or a ConfigMap would still be wrapped as secret in the
        // state, yet land in the cluster in clear text: reveal everything and look.
        const leaks: string[] = [];
        for (const r of run.resources.filter((x) => x.type.startsWith("kubernetes:") && !x.type.endsWith(":Secret"))) {
            const text = JSON.stringify(reveal(r.inputs));
            for (const secret of run.generatedSecrets) if (text.includes(secret)) leaks.push(`${r.type} ${r.name}`);
        }
        assert.deepEqual(leaks, []);
    });

    it("Secret data arrives as secrets; the chart values are plain, so known at preview", () => {
        assert.equal(isSecretWrapped(run.byName("jupyterhub").inputs.values), false);
        assert.deepEqual(plainStrings(run.byName("jupyterhub").inputs.values).length > 50, true);
        for (const name of ["mysql-credentials", "openldap-bootstrap", "openldap-tls", "jupyterhub-secrets"]) {
            const stringData = run.byName(name, "Secret").inputs.stringData as Record<string, unknown>;
            assert.ok(isSecretWrapped(stringData) || Object.values(stringData).every(isSecretWrapped), name);
        }
    });

    it("ConfigMaps hold no secret material", () => {
        for (const cm of run.ofType("kubernetes:core/v1:ConfigMap")) {
            const text = JSON.stringify(reveal(cm.inputs));
            for (const s of run.generatedSecrets) assert.ok(!text.includes(s), `${cm.name} holds a secret`);
            assert.doesNotMatch(text, /PRIVATE KEY/);
        }
    });

    it("components record no inputs at all", () => {
        for (const c of run.resources.filter((r) => r.type.startsWith("jupyterhub:index:"))) {
            assert.deepEqual(c.inputs, {}, c.name);
        }
    });

    it("stack outputs: passwords only as secrets, nothing else carries a secret value", async () => {
        const outputs = exportedOutputs(run);
        assert.ok(await pulumi.isSecret(outputs.ldapUserPasswords));
        const passwords = run.outputs.ldapUserPasswords as Record<string, string>;
        assert.deepEqual(Object.keys(passwords).sort(), ["demo", "outsider", "student", "teacher"]);
        for (const [k, o] of Object.entries(outputs)) {
            if (k === "ldapUserPasswords") continue;
            assert.equal(await pulumi.isSecret(o), false, `${k} should be plain`);
            const text = JSON.stringify(run.outputs[k]) ?? "";
            for (const s of run.generatedSecrets) assert.ok(!text.includes(s), `${k} leaks a secret`);
        }
        assert.equal(run.outputs.hubUrl, "http://proxy-public.jupyterhub-dev.svc.cluster.local/");
        assert.deepEqual(
            run.outputs.ldapUsers,
            ["demo", "outsider", "teacher", "student"].map((u) => `uid=${u},ou=people,dc=dev,dc=jupyterhub,dc=local`),
        );
    });
});

describe("program (dev stack): directory users cost no resources of their own", () => {
    /** The master key as the mocks generated it (RandomBytes openldap-user-passwords). */
    const master = () => Buffer.from(String(run.byName("openldap-user-passwords", "RandomBytes").outputs.base64), "base64");

    it("one generated master key; no random resource per user", () => {
        const random = run.resources.filter((r) => r.type.startsWith("random:")).map((r) => r.name);
        assert.deepEqual(random.filter((n) => n.startsWith("openldap-")).sort(), ["openldap-admin", "openldap-user-passwords"]);
        assert.deepEqual(run.byName("openldap-user-passwords", "RandomBytes").inputs, { length: 32 });
        assert.equal(master().length, 32);
    });

    it("each user's password (stack output) is the one derived from the master, and the tree holds its salted hash", () => {
        const passwords = run.outputs.ldapUserPasswords as Record<string, string>;
        const files = reveal(run.byName("openldap-bootstrap", "Secret").inputs.stringData) as Record<string, string>;
        const uids = ["demo", "outsider", "teacher", "student"];
        assert.deepEqual(Object.keys(passwords).sort(), [...uids].sort());
        for (const uid of uids) {
            assert.equal(passwords[uid], derivedUserPassword(master(), uid));
            const hash = sshaHash(passwords[uid], derivedUserSalt(master(), uid));
            assert.ok(files["tree.ldif"].includes(`dn: uid=${uid},ou=people,dc=dev,dc=jupyterhub,dc=local\n`));
            assert.ok(files["tree.ldif"].includes(`userPassword: ${hash}\n`), `${uid}'s hash in tree.ldif`);
        }
        assert.equal(files.uids, uids.map((u) => `${u}\n`).join(""));
    });

    it("no user's password appears anywhere in any object, Secrets included (only hashes reach the cluster)", () => {
        const passwords = Object.values(run.outputs.ldapUserPasswords as Record<string, string>);
        for (const r of run.resources) {
            const text = JSON.stringify(reveal(r.inputs));
            for (const pw of passwords) assert.ok(!text.includes(pw), `${r.type} ${r.name} holds a user's password`);
        }
    });

    it("the sync Job: named without the key (known at a first preview), the key's fingerprint in an annotation that replaces it", () => {
        const job = run.ofType("kubernetes:batch/v1:Job")[0];
        assert.match(String(get(job.inputs, "metadata.name")), /^openldap-sync-[0-9a-f]{16}$/);
        assert.equal(isSecretWrapped(get(job.inputs, "metadata")), false);
        const fingerprint = (reveal(run.byName("openldap-bootstrap", "Secret").inputs.stringData) as Record<string, string>).fingerprint;
        assert.match(fingerprint, /^[0-9a-f]{16}$/);
        assert.deepEqual(get(job.inputs, "metadata.annotations"), { "platform.jupyterhub.org/user-password-key": fingerprint });
        assert.ok(!master().toString("hex").includes(fingerprint) && !master().toString("base64").includes(fingerprint));
        assert.deepEqual(job.replaceOnChanges, ["metadata.annotations"]);
        assert.equal(job.deleteBeforeReplace, true, "a replacement of the same name must delete the old Job first");
    });
});

describe("program (dev stack): data survives destroy", () => {
    it("the namespace and every data volume are retained on destroy", () => {
        const retained = run.resources
            .filter((r) => r.retainOnDelete)
            .map((r) => `${r.type.split(":").pop()}/${r.name}`)
            .sort();
        assert.deepEqual(retained, [
            "Namespace/namespace",
            // It holds the NFS server's disk and Service below.
            "Namespace/storage-namespace",
            "PersistentVolume/nfs-group-shares",
            "PersistentVolume/nfs-shared",
            "PersistentVolumeClaim/backup-data",
            "PersistentVolumeClaim/mysql-data",
            "PersistentVolumeClaim/nfs-group-shares",
            "PersistentVolumeClaim/nfs-server-data",
            "PersistentVolumeClaim/nfs-shared",
            "PersistentVolumeClaim/openldap-data",
            // The keys the kept directory and database open with (components/data-key.ts).
            "Secret/data-key",
            // Home volumes name the server by its ClusterIP: the Service keeps it for them.
            "Service/nfs-server",
        ]);
    });
});

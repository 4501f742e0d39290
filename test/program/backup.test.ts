// The backups of the dev stack, as the program registers them (under mocks): what runs when, as
// whom, with which credentials, who may reach whom, and what `pulumi destroy` keeps.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import * as fs from "node:fs";
import * as path from "node:path";

import { mysqlClientOptions, preUpgradeJobName } from "../../components/backup";
import { DIRECTORY_SECRETS, LDAPS_PORT } from "../../components/directory/client";
import { parseConfig } from "../../config";
import { selectorMatches } from "../../policy/rules";
import { at, get, inMode, onNfs, rawStackConfig, ROOT } from "../support/helpers";
import { isSecretWrapped, ProgramRun, Registered, reveal, runProgram } from "../support/program";

type Obj = Record<string, unknown>;
const cfg = parseConfig(rawStackConfig("dev"), "dev");
const mysql = inMode(cfg.mysql, "in-cluster");
const ldap = inMode(cfg.ldap, "in-cluster");
const NS = cfg.namespace;
let run: ProgramRun;
before(async () => {
    run = await runProgram("dev");
});

const k8sObject = (kind: string, name: string): Obj => {
    const found = run.resources.filter((r) => r.type.endsWith(`:${kind}`) && get(r.inputs, "metadata.name") === name);
    assert.equal(found.length, 1, `${kind}/${name}: ${found.length} found`);
    return reveal(found[0].inputs) as Obj;
};
const registered = (kind: string, name: string): Registered =>
    run.resources.find((r) => r.type.endsWith(`:${kind}`) && get(r.inputs, "metadata.name") === name)!;
/** The pod template of a CronJob or Job. */
const podOf = (o: Obj): Obj => (get(o, "spec.jobTemplate.spec.template") ?? get(o, "spec.template")) as Obj;
const podLabels = (o: Obj) => get(podOf(o), "metadata.labels") as Record<string, string>;
const container = (o: Obj) => (get(podOf(o), "spec.containers") as Obj[])[0];
const env = (o: Obj) => Object.fromEntries((container(o).env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
const JOB = preUpgradeJobName(cfg.hub.chartVersion, mysql.image);

describe("program (dev stack): backups", () => {
    it("two CronJobs on the configured schedule and time zone, never two runs at once, and the Job named after the versions", () => {
        for (const name of ["backup-hub-db", "backup-directory"]) {
            const cron = k8sObject("CronJob", name);
            assert.equal(get(cron, "spec.schedule"), "17 2 * * *");
            assert.equal(get(cron, "spec.timeZone"), "Etc/UTC");
            assert.equal(get(cron, "spec.concurrencyPolicy"), "Forbid");
            assert.equal(get(cron, "metadata.namespace"), NS);
        }
        assert.equal(JOB, "hub-db-before-chart-4-4-0-mysql-8-4-7");
        const job = k8sObject("Job", JOB);
        assert.equal(env(job).DUMP_LABEL, "before-chart-4.4.0-mysql-8.4.7");
        assert.equal(env(job).DUMP_SUBDIR, "hub-db-pre-upgrade");
        assert.equal(env(k8sObject("CronJob", "backup-hub-db")).KEEP, "7");
    });

    it("the hub is updated only after the backups, the Job included; the backups only after the database and the directory", () => {
        const hub = run.resources.find((r) => r.type === "jupyterhub:index:JupyterHub")!;
        assert.ok(hub.dependsOn.includes("backup"), hub.dependsOn.join(","));
        const component = run.resources.find((r) => r.type === "jupyterhub:index:Backup")!;
        assert.deepEqual(component.dependsOn.sort(), ["mysql", "openldap"]);
        const job = registered("Job", JOB);
        for (const d of ["mysql", "openldap", "backup-hub-db-egress", "backup-to-mysql"])
            assert.ok(job.dependsOn.includes(d), `${d}: ${job.dependsOn.join(",")}`);
    });

    it("the scripts the pods run are the tested files of components/scripts/, shipped with the restore scripts", () => {
        const file = (name: string) => fs.readFileSync(path.join(ROOT, "components", "scripts", name), "utf8");
        assert.deepEqual(get(k8sObject("ConfigMap", "backup-scripts"), "data"), {
            "dump-hub-db.sh": file("dump-hub-db.sh"),
            "restore-hub-db.sh": file("restore-hub-db.sh"),
            "dump-directory.sh": file("dump-directory.sh"),
            "restore-directory.sh": file("restore-directory.sh"),
        });
        assert.deepEqual(container(k8sObject("CronJob", "backup-hub-db")).command, ["sh", "/scripts/dump-hub-db.sh"]);
        assert.deepEqual(container(k8sObject("Job", JOB)).command, ["sh", "/scripts/dump-hub-db.sh"]);
        assert.deepEqual(container(k8sObject("CronJob", "backup-directory")).command, ["sh", "/scripts/dump-directory.sh"]);
    });

    it("the database dump logs in as the hub user with the hub's own password, from a Secret file; the env holds no secret", () => {
        const secret = registered("Secret", "backup-hub-db");
        const data = secret.inputs.stringData as Obj;
        assert.ok(isSecretWrapped(data) || isSecretWrapped(data["client.cnf"]), "the options file is a secret");
        const hubPassword = String(at(reveal(run.byName("mysql-credentials", "Secret").inputs), "stringData", "hub-password"));
        assert.equal(
            at(reveal(data), "client.cnf"),
            mysqlClientOptions({ host: `mysql.${NS}.svc.cluster.local`, port: 3306, user: "jupyterhub", password: hubPassword }),
        );
        for (const o of [k8sObject("CronJob", "backup-hub-db"), k8sObject("Job", JOB)]) {
            assert.equal(env(o).DEFAULTS_FILE, "/credentials/client.cnf");
            assert.deepEqual(get(podOf(o), "spec.volumes.3"), { name: "credentials", secret: { secretName: "backup-hub-db", defaultMode: 0o440 } });
            assert.equal(container(o).image, mysql.image, "the server's own client");
            assert.ok(!JSON.stringify(o).includes(hubPassword));
        }
    });

    it("the directory export binds as the directory's admin with the password file and CA of the directory's own Secrets", () => {
        const cron = k8sObject("CronJob", "backup-directory");
        const e = env(cron);
        assert.equal(e.DIRECTORY_URI, `ldaps://openldap.${NS}.svc.cluster.local:636`);
        assert.equal(e.DIRECTORY_ADMIN_DN, `cn=admin,${ldap.baseDn}`);
        assert.equal(e.DIRECTORY_BASE_DN, ldap.baseDn);
        const volumes = get(podOf(cron), "spec.volumes") as Obj[];
        const secretKey = (v: string) => {
            const s = volumes.find((x) => x.name === v)!.secret as { secretName: string; items: Array<{ key: string }> };
            return [s.secretName, s.items[0].key];
        };
        assert.deepEqual(secretKey("credentials"), [DIRECTORY_SECRETS.bootstrap, "admin-password"]);
        assert.deepEqual(secretKey("tls"), [DIRECTORY_SECRETS.tls, "ca.crt"]);
        // The names and keys the directory component really gives its Secrets, and the port slapd serves LDAPS on.
        const bootstrap = reveal(run.byName("openldap-bootstrap", "Secret").inputs) as Obj;
        assert.equal(get(bootstrap, "metadata.name"), DIRECTORY_SECRETS.bootstrap);
        assert.ok(at(bootstrap, "stringData", "admin-password"));
        assert.ok(at(reveal(run.byName("openldap-tls", "Secret").inputs), "stringData", "ca.crt"));
        const ports = get(k8sObject("Deployment", "openldap"), "spec.template.spec.containers.0.ports") as Array<{ name: string; containerPort: number }>;
        assert.equal(ports.find((p) => p.name === "ldaps")?.containerPort, LDAPS_PORT);
        const svcPorts = get(k8sObject("Service", "openldap"), "spec.ports") as Array<{ port: number; targetPort: number }>;
        assert.equal(svcPorts.find((p) => p.port === 636)?.targetPort, LDAPS_PORT);
        assert.equal(container(cron).image, ldap.image);
    });

    it("the backup pods are restricted: non-root, no privilege escalation, all capabilities dropped, read-only root, limits, no API token", () => {
        for (const o of [k8sObject("CronJob", "backup-hub-db"), k8sObject("CronJob", "backup-directory"), k8sObject("Job", JOB)]) {
            const spec = get(podOf(o), "spec") as Obj;
            assert.equal(get(spec, "securityContext.runAsNonRoot"), true);
            assert.ok(Number(get(spec, "securityContext.runAsUser")) > 0);
            assert.equal(get(spec, "securityContext.seccompProfile.type"), "RuntimeDefault");
            assert.equal(spec.automountServiceAccountToken, false);
            const c = container(o);
            assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true });
            assert.ok(get(c, "resources.limits.cpu") && get(c, "resources.limits.memory"));
            // Both write the same volume: one group for both.
            assert.equal(get(spec, "securityContext.fsGroup"), 2000);
        }
    });

    it("NetworkPolicies: exactly the backup pods reach MySQL (3306) and LDAPS (1636), each only its own server, and nothing else", () => {
        const policies = run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => reveal(r.inputs) as Obj);
        const mysqlPod = get(k8sObject("StatefulSet", "mysql"), "spec.template.metadata.labels") as Record<string, string>;
        const ldapPod = get(k8sObject("Deployment", "openldap"), "spec.template.metadata.labels") as Record<string, string>;
        const dbPods = [podLabels(k8sObject("CronJob", "backup-hub-db")), podLabels(k8sObject("Job", JOB))];
        const dirPod = podLabels(k8sObject("CronJob", "backup-directory"));
        const hubPod = { app: "jupyterhub", component: "hub", release: NS };
        /** Ports at which `from` may open connections to `to`, by ingress rules (an empty list: none). */
        const admitted = (from: Record<string, string>, to: Record<string, string>) =>
            policies
                .filter((p) => selectorMatches(get(p, "spec.podSelector") as Obj, to))
                .flatMap((p) => (get(p, "spec.ingress") as Obj[]) ?? [])
                .filter((rule) => (rule.from as Obj[]).some((f) => selectorMatches(f.podSelector as Obj, from)))
                .flatMap((rule) => (rule.ports as Array<{ port: number }>).map((p) => p.port));
        for (const db of dbPods) {
            assert.deepEqual(admitted(db, mysqlPod), [3306]);
            assert.deepEqual(admitted(db, ldapPod), []);
        }
        assert.deepEqual(admitted(dirPod, ldapPod), [LDAPS_PORT]);
        assert.deepEqual(admitted(dirPod, mysqlPod), []);
        assert.deepEqual(admitted(hubPod, mysqlPod), [3306], "the hub keeps its access");
        // Egress: DNS, and the one server.
        const egress = (pod: Record<string, string>) =>
            policies.filter((p) => selectorMatches(get(p, "spec.podSelector") as Obj, pod) && (get(p, "spec.policyTypes") as string[]).includes("Egress"));
        for (const [pod, server, port] of [
            [dbPods[0], mysqlPod, 3306],
            [dirPod, ldapPod, LDAPS_PORT],
        ] as const) {
            const [policy] = egress(pod);
            assert.equal(egress(pod).length, 1);
            const rules = get(policy, "spec.egress") as Obj[];
            assert.deepEqual(rules[0], {
                ports: [
                    { port: 53, protocol: "UDP" },
                    { port: 53, protocol: "TCP" },
                ],
            });
            assert.ok(selectorMatches(get(rules[1], "to.0.podSelector") as Obj, server));
            assert.deepEqual(rules[1].ports, [{ port, protocol: "TCP" }]);
            assert.equal(rules.length, 2);
            assert.deepEqual(get(policy, "spec.ingress"), [], "nothing connects to the backup pods");
        }
    });

    it("the dumps go to a ReadWriteMany claim on the NFS home class, which `pulumi destroy` keeps like the data", () => {
        const claim = registered("PersistentVolumeClaim", "backups");
        assert.equal(claim.retainOnDelete, true);
        const spec = get(reveal(claim.inputs), "spec") as Obj;
        assert.deepEqual(spec.accessModes, ["ReadWriteMany"]);
        assert.equal(spec.storageClassName, onNfs(cfg.nfs).homeStorageClass);
        assert.equal(get(spec, "resources.requests.storage"), "5Gi");
        // The class keeps the directory when the claim goes (dataPolicy retain).
        assert.equal(get(run.byName("nfs-home").inputs, "reclaimPolicy"), "Retain");
        for (const o of [k8sObject("CronJob", "backup-hub-db"), k8sObject("CronJob", "backup-directory"), k8sObject("Job", JOB)]) {
            assert.deepEqual(get(podOf(o), "spec.volumes.0"), { name: "backups", persistentVolumeClaim: { claimName: "backups" } });
        }
    });
});

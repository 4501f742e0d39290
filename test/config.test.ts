import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import { ConfigError, DEFAULTS, parseConfig, toBytes } from "../config";
import { projectDefaults, rawStackConfig, ROOT } from "./helpers";

/** The error text for one bad config, which must exist. */
function problemsOf(raw: Record<string, unknown>, stack = "dev"): string[] {
    try {
        parseConfig(raw, stack);
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
        return e.problems;
    }
    assert.fail(`config was accepted: ${JSON.stringify(raw)}`);
}

const devUsers = { users: [{ uid: "alice" }, { uid: "bob" }], groups: [{ cn: "hub", members: ["alice"] }] };

describe("config: defaults and stack files", () => {
    it("Pulumi.yaml defaults are exactly the program's defaults", () => {
        // Each object key replaces the whole default when a stack sets it, so the two must agree.
        const fromProject = parseConfig({ ...projectDefaults(), ldap: { ...(projectDefaults().ldap as object), ...devUsers } }, "dev");
        const fromCode = parseConfig({ ldap: devUsers }, "dev");
        assert.deepEqual(fromProject, fromCode);
    });

    it("every default image is pinned and MySQL is 8.4", () => {
        for (const image of Object.values(DEFAULTS).filter((v) => v.includes(":") && !v.startsWith("http"))) {
            assert.match(image, /:[0-9v][^:]*$/, image);
        }
        assert.match(DEFAULTS.mysqlImage, /^mysql:8\.4\.[0-9]+$/);
    });

    it("the dev stack is self-contained", () => {
        const cfg = parseConfig(rawStackConfig("dev"), "dev");
        assert.equal(cfg.nfs.mode, "in-cluster");
        assert.equal(cfg.ldap.mode, "in-cluster");
        assert.equal(cfg.mysql.mode, "in-cluster");
        assert.equal(cfg.dataPolicy, "retain");
        assert.deepEqual(cfg.hub.admins, ["demo"]);
        assert.deepEqual(cfg.ldap.allowedGroups, ["jupyterhub-users"]);
    });

    it("the prod stack uses external services, TLS ingress and GPU profiles", () => {
        const cfg = parseConfig({ ...rawStackConfig("prod"), mysqlPassword: "<secret>", ldapBindPassword: "<secret>" }, "prod");
        assert.equal(cfg.nfs.mode, "external");
        assert.equal(cfg.nfs.server, "nfs.example.org");
        assert.equal(cfg.ldap.mode, "external");
        assert.equal(cfg.ldap.tlsStrategy, "on_connect");
        assert.equal(cfg.mysql.mode, "external");
        assert.equal(cfg.ingress.host, "hub.example.org");
        assert.equal(cfg.profiles.find((p) => p.slug === "gpu")?.gpus, 1);
        assert.equal(cfg.culling.maxAge, 86400);
    });

    it("the prod stack without its secrets names each missing secret key and how to set it", () => {
        const problems = problemsOf(rawStackConfig("prod"), "prod");
        assert.ok(problems.some((p) => p.includes("jupyterhub:mysqlPassword is required") && p.includes("pulumi config set --secret mysqlPassword")));
        assert.ok(problems.some((p) => p.includes("jupyterhub:ldapBindPassword is required")));
    });

    it("quantities compare across units", () => {
        assert.equal(toBytes("1Gi"), 1073741824);
        assert.ok(toBytes("1G") < toBytes("1Gi"));
        assert.ok(toBytes("512M") < toBytes("1G"));
    });
});

/** Bad input, and the words its error must contain (the key, what was given, the fix). */
const BAD: Array<[string, Record<string, unknown>, string[], string?]> = [
    ["unknown top-level key", { ldapp: {} }, ["jupyterhub:ldapp is not a known setting"]],
    ["misspelt nested key", { nfs: { moed: "external" } }, ["jupyterhub:nfs.moed is not a known setting", "known keys here: mode"]],
    ["bad namespace", { namespace: "Jupyter_Hub" }, ["jupyterhub:namespace must be a DNS label", '"Jupyter_Hub"']],
    ["bad dataPolicy", { dataPolicy: "keep" }, ['jupyterhub:dataPolicy must be one of "retain", "delete"', '"keep"']],
    ["bad nfs mode", { nfs: { mode: "nfs4" } }, ['jupyterhub:nfs.mode must be one of "in-cluster", "external"', '"nfs4"']],
    [
        "external NFS without server",
        { nfs: { mode: "external" } },
        ['jupyterhub:nfs.server is required when jupyterhub:nfs.mode is "external"', "pulumi config set --path nfs.server"],
    ],
    ["NFS mode not octal", { nfs: { mountPermissions: "777" } }, ['jupyterhub:nfs.mountPermissions must be an octal mode such as "0777"', '"777"']],
    ["relative NFS path", { nfs: { mode: "external", server: "nfs", path: "exports" } }, ["jupyterhub:nfs.path must be an absolute path", '"exports"']],
    ["onDelete delete while retaining", { nfs: { onDelete: "delete" } }, ["jupyterhub:nfs.onDelete", 'contradicts jupyterhub:dataPolicy "retain"']],
    ["shared volume hiding home", { nfs: { shared: { mountPath: "/home/jovyan" } } }, ["jupyterhub:nfs.shared.mountPath must not hide the home directory"]],
    ["base DN not a DN", { ldap: { ...devUsers, baseDn: "example.org" } }, ['jupyterhub:ldap.baseDn must look like "dc=example,dc=org" (got "example.org")']],
    [
        "group member not a user",
        { ldap: { users: [{ uid: "alice" }], groups: [{ cn: "hub", members: ["carol"] }] } },
        ['jupyterhub:ldap.groups[0].members[0] "carol" is not one of jupyterhub:ldap.users (alice)'],
    ],
    [
        "allowed group not defined",
        { ldap: { ...devUsers, allowedGroups: ["staff"] } },
        ['jupyterhub:ldap.allowedGroups[0] "staff" is not one of jupyterhub:ldap.groups (hub)'],
    ],
    ["duplicate uid", { ldap: { users: [{ uid: "alice" }, { uid: "alice" }] } }, ['jupyterhub:ldap.users[1].uid "alice" is listed twice']],
    ["uid with capitals", { ldap: { users: [{ uid: "Alice" }] } }, ["jupyterhub:ldap.users[0].uid must be a POSIX-style user name", '"Alice"']],
    ["in-cluster LDAP without users", { ldap: {} }, ["jupyterhub:ldap.users must list at least one user"]],
    [
        "plain-text LDAP password",
        { ldap: { ...devUsers, bindPassword: "hunter2" } },
        ["jupyterhub:ldap.bindPassword must not be stored in plain text", "pulumi config set --secret ldapBindPassword"],
    ],
    [
        "external LDAP without templates",
        { ldap: { mode: "external", server: "ldap.example.org" } },
        ["jupyterhub:ldap.bindDnTemplates is required for an external directory"],
    ],
    [
        "bind template without placeholder",
        { ldap: { mode: "external", server: "ldap.example.org", bindDnTemplates: ["uid=alice,ou=people,dc=example,dc=org"] } },
        ['jupyterhub:ldap.bindDnTemplates[0] must contain "{username}"'],
    ],
    [
        "LDAP server with scheme",
        { ldap: { mode: "external", server: "ldaps://ldap.example.org", bindDnTemplates: ["uid={username},dc=x"] } },
        ["jupyterhub:ldap.server must be a host name without scheme or port"],
    ],
    [
        "external group not a DN",
        { ldap: { mode: "external", server: "ldap.example.org", bindDnTemplates: ["uid={username},dc=x"], allowedGroups: ["staff"] } },
        ["jupyterhub:ldap.allowedGroups[0] must be a full group DN"],
    ],
    [
        "insecure in-cluster LDAP",
        { ldap: { ...devUsers, tlsStrategy: "insecure" } },
        ['jupyterhub:ldap.tlsStrategy must not be "insecure" for the in-cluster directory'],
    ],
    [
        "mysql lts tag",
        { ldap: devUsers, mysql: { image: "mysql:lts" } },
        ['jupyterhub:mysql.image must be a MySQL 8.4 LTS tag such as "mysql:8.4.7"', '"mysql:lts"'],
    ],
    ["unpinned image", { ldap: devUsers, mysql: { image: "mysql" } }, ["jupyterhub:mysql.image must be an image pinned by tag or digest"]],
    [
        "latest image",
        { ldap: devUsers, singleuser: { image: "quay.io/jupyter/base-notebook:latest" } },
        ['jupyterhub:singleuser.image must be pinned to a version; "latest" changes under you'],
    ],
    [
        "MySQL on the NFS class",
        { ldap: devUsers, mysql: { storageClass: "jupyterhub-home" } },
        ["jupyterhub:mysql.storageClass must be block storage, not the NFS home class"],
    ],
    [
        "plain-text MySQL password",
        { ldap: devUsers, mysql: { password: "x" } },
        ["jupyterhub:mysql.password must not be stored in plain text", "pulumi config set --secret mysqlPassword"],
    ],
    [
        "external MySQL without host",
        { ldap: devUsers, mysql: { mode: "external" }, mysqlPassword: "<secret>" },
        ['jupyterhub:mysql.host is required when jupyterhub:mysql.mode is "external"'],
    ],
    ["MySQL port out of range", { ldap: devUsers, mysql: { port: 70000 } }, ["jupyterhub:mysql.port must be at most 65535 (got 70000)"]],
    [
        "database name with dash",
        { ldap: devUsers, mysql: { database: "jupyter-hub" } },
        ["jupyterhub:mysql.database must be a plain SQL identifier", '"jupyter-hub"'],
    ],
    [
        "admin not a directory user",
        { ldap: devUsers, hub: { admins: ["root"] } },
        ['jupyterhub:hub.admins[0] "root" is not one of jupyterhub:ldap.users (alice, bob)'],
    ],
    [
        "loose chart version",
        { ldap: devUsers, hub: { chartVersion: "4.x" } },
        ['jupyterhub:hub.chartVersion must be an exact chart version such as "4.4.0" (got "4.x")'],
    ],
    [
        "bad service type",
        { ldap: devUsers, hub: { proxyServiceType: "Ingress" } },
        ['jupyterhub:hub.proxyServiceType must be one of "ClusterIP", "NodePort", "LoadBalancer"'],
    ],
    ["no LDAP and no authenticator", { ldap: { mode: "none" } }, ['jupyterhub:hub.authenticatorClass is required when jupyterhub:ldap.mode is "none"']],
    [
        "dummy login on prod",
        { ldap: { mode: "none" }, hub: { authenticatorClass: "dummy" } },
        ['jupyterhub:hub.authenticatorClass must not be "dummy" on the prod stack'],
        "prod",
    ],
    [
        "memory as a bare word",
        { ldap: devUsers, singleuser: { memoryLimit: "lots" } },
        ['jupyterhub:singleuser.memoryLimit must be a Kubernetes quantity such as "10Gi"', '"lots"'],
    ],
    [
        "guarantee above limit",
        { ldap: devUsers, singleuser: { memoryLimit: "1G", memoryGuarantee: "2G" } },
        ["jupyterhub:singleuser.memoryGuarantee must not exceed jupyterhub:singleuser.memoryLimit (1G)"],
    ],
    [
        "CPU guarantee above limit",
        { ldap: devUsers, singleuser: { cpuLimit: 1, cpuGuarantee: 2 } },
        ["jupyterhub:singleuser.cpuGuarantee must not exceed jupyterhub:singleuser.cpuLimit (1)"],
    ],
    ["CPU as text", { ldap: devUsers, singleuser: { cpuLimit: "two" } }, ['jupyterhub:singleuser.cpuLimit must be a number (got "two")']],
    ["default URL without slash", { ldap: devUsers, singleuser: { defaultUrl: "lab" } }, ['jupyterhub:singleuser.defaultUrl must be a path such as "/lab"']],
    ["duplicate profile slug", { ldap: devUsers, profiles: [{ slug: "gpu" }, { slug: "gpu" }] }, ['jupyterhub:profiles[1].slug "gpu" is used twice']],
    [
        "two default profiles",
        {
            ldap: devUsers,
            profiles: [
                { slug: "a", default: true },
                { slug: "b", default: true },
            ],
        },
        ["more than one profile with default: true"],
    ],
    ["GPU count not whole", { ldap: devUsers, profiles: [{ slug: "gpu", gpus: 0.5 }] }, ["jupyterhub:profiles[0].gpus must be a whole number (got 0.5)"]],
    [
        "cull check slower than timeout",
        { ldap: devUsers, culling: { timeout: 600, every: 3600 } },
        ["jupyterhub:culling.every must not exceed jupyterhub:culling.timeout (600)"],
    ],
    ["ingress without host", { ldap: devUsers, ingress: { enabled: true } }, ["jupyterhub:ingress.host is required when jupyterhub:ingress.enabled is true"]],
    [
        "plain-text TLS key",
        { ldap: devUsers, ingress: { tlsKey: "-----BEGIN" } },
        ["jupyterhub:ingress.tlsKey must not be stored in plain text", "pulumi config set --secret ingressTlsKey"],
    ],
    [
        "TLS cert without key",
        { ldap: devUsers, ingress: { enabled: true, host: "hub.example.org", tlsCert: "-----BEGIN CERTIFICATE-----\nx" } },
        ["jupyterhub:ingressTlsKey is required with jupyterhub:ingress.tlsCert"],
    ],
    ["object given a string", { ldap: devUsers, culling: "yes" }, ['jupyterhub:culling must be an object (got "yes")']],
    ["boolean as word", { ldap: devUsers, culling: { enabled: "maybe" } }, ['jupyterhub:culling.enabled must be true or false (got "maybe")']],
];

describe("config: bad input is refused with the key, the value and the fix", () => {
    for (const [name, raw, expected, stack] of BAD) {
        it(name, () => {
            const problems = problemsOf(raw, stack ?? "dev");
            const text = problems.join("\n");
            for (const e of expected) assert.ok(text.includes(e), `expected ${JSON.stringify(e)} in:\n${text}`);
        });
    }

    it(`covers at least 15 distinct mistakes (has ${BAD.length})`, () => {
        assert.ok(BAD.length >= 15);
    });

    it("reports every problem at once, not only the first", () => {
        const problems = problemsOf({ namespace: "X", dataPolicy: "keep", nfs: { mode: "external" }, ldap: devUsers });
        assert.equal(problems.length, 3, problems.join("\n"));
    });

    it("is a Pulumi RunError: the CLI shows the message without a stack trace", () => {
        assert.throws(
            () => parseConfig({ dataPolicy: "keep" }, "dev"),
            (e: unknown) => pulumi.RunError.isInstance(e) && e instanceof ConfigError,
        );
    });

    it("the message says nothing was deployed", () => {
        assert.throws(() => parseConfig({ dataPolicy: "keep" }, "dev"), /nothing was deployed/);
    });
});

describe("config: Pulumi.yaml passes the engine's own checks", () => {
    // The rules the Pulumi CLI applies before running the program (pkg/workspace/config.go,
    // ValidateStackConfigAndApplyProjectConfig, and sdk workspace ValidateConfigValue), which no
    // test here can run for real: the CLI cannot be built on the build machines.
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, { type?: string; default?: unknown; secret?: boolean; items?: { type: string } }>;
    };
    const typeOk = (type: string | undefined, v: unknown): boolean => {
        switch (type) {
            case "string":
                return typeof v === "string";
            case "boolean":
                return typeof v === "boolean" || v === "true" || v === "false";
            case "integer":
                return Number.isInteger(typeof v === "string" ? Number(v) : v);
            case "object":
                return typeof v === "object" && v !== null && !Array.isArray(v);
            case "array":
                return Array.isArray(v);
            default:
                return true;
        }
    };

    it("every key has a default: a declared key without one is required on every stack", () => {
        assert.deepEqual(
            Object.entries(project.config)
                .filter(([, d]) => d.default === undefined)
                .map(([k]) => k),
            [],
        );
    });

    it("no key is declared secret with a default: the engine applies the default in plain text, then refuses it as unencrypted", () => {
        assert.deepEqual(
            Object.entries(project.config)
                .filter(([, d]) => d.secret && d.default !== undefined)
                .map(([k]) => k),
            [],
        );
    });

    it("every default and every stack file value has its declared type", () => {
        for (const [k, d] of Object.entries(project.config)) assert.ok(typeOk(d.type, d.default), `default of ${k} is not a ${d.type}`);
        for (const stack of ["dev", "prod"]) {
            for (const [k, v] of Object.entries(rawStackConfig(stack))) {
                assert.ok(k in project.config, `${stack}: ${k} is not declared in Pulumi.yaml`);
                assert.ok(typeOk(project.config[k].type, v), `${stack}: ${k} is not a ${project.config[k].type}`);
            }
        }
    });
});

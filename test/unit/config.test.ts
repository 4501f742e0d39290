import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import { parseConfig, SECRET_KEYS } from "../../config";
import { isCronSchedule, toBytes } from "../../lib/formats";
import { ConfigError, SECRET_PATH } from "../../lib/problems";
import { BAD, devUsers } from "../support/bad-configs";
import { inMode, onNfs, projectDefaults, rawStackConfig, ROOT } from "../support/helpers";

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

describe("config: defaults and stack files", () => {
    it("Pulumi.yaml defaults are exactly the program's defaults", () => {
        // Each object key replaces the whole default when a stack sets it, so the two must agree.
        const fromProject = parseConfig({ ...projectDefaults(), ldap: { ...(projectDefaults().ldap as object), ...devUsers } }, "dev");
        const fromCode = parseConfig({ ldap: devUsers }, "dev");
        assert.deepEqual(fromProject, fromCode);
    });

    it("every default image is pinned and MySQL is 8.4", () => {
        const cfg = parseConfig({ ldap: devUsers }, "dev");
        const mysql = inMode(cfg.mysql, "in-cluster");
        const images = [inMode(cfg.nfs, "in-cluster").serverImage, inMode(cfg.ldap, "in-cluster").image, mysql.image, cfg.singleuser.image];
        for (const image of images) assert.match(image, /:[0-9v][^:]*$/, image);
        assert.match(mysql.image, /^mysql:8\.4\.[0-9]+$/);
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
        assert.equal(cfg.ingress.enabled && cfg.ingress.host, "hub.example.org");
        assert.equal(cfg.profiles.find((p) => p.slug === "gpu")?.gpus, 1);
        assert.equal(cfg.culling.maxAge, 86400);
    });

    it("the prod stack without its secrets names each missing secret key and how to set it", () => {
        const problems = problemsOf(rawStackConfig("prod"), "prod");
        assert.ok(problems.some((p) => p.includes("jupyterhub:mysqlPassword is required") && p.includes("pulumi config set --secret mysqlPassword")));
        assert.ok(problems.some((p) => p.includes("jupyterhub:ldapBindPassword is required")));
    });

    it("backups are on by default in dev and prod, daily, keeping 7 of each kind", () => {
        for (const cfg of [
            parseConfig(rawStackConfig("dev"), "dev"),
            parseConfig({ ...rawStackConfig("prod"), mysqlPassword: "<secret>", ldapBindPassword: "<secret>" }, "prod"),
        ]) {
            assert.deepEqual(cfg.backup, { enabled: true, schedule: "17 2 * * *", timeZone: "Etc/UTC", keep: 7, storageSize: "5Gi" });
        }
    });

    it("backup schedules: what a CronJob accepts passes, the rest is refused", () => {
        for (const ok of ["17 2 * * *", "*/15 * * * *", "0 3 * * MON-FRI", "0 0 1 jan,jul ?", "30 1 1-7/2 * 0", "@daily", "@weekly"]) {
            assert.ok(isCronSchedule(ok), ok);
        }
        for (const bad of [
            "",
            "* * * *",
            "0 17 2 * * *",
            "60 * * * *",
            "0 24 * * *",
            "0 0 0 * *",
            "0 0 * 13 *",
            "0 0 * * 7",
            "0 0 * * MON-SUN-X",
            "*/0 * * * *",
            "5-1 * * * *",
            "? * * * *",
            "@every 1h",
            "CRON_TZ=UTC 0 2 * * *",
        ]) {
            assert.ok(!isCronSchedule(bad), bad);
        }
    });

    it("backup keys: each mistake is one line naming the key, the rule and the value", () => {
        const CRON =
            'must be a cron schedule of five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-6) such as "17 2 * * *", or one of @hourly, @daily, @weekly, @monthly, @yearly';
        const cases: Array<[unknown, string]> = [
            ["daily", 'jupyterhub:backup must be an object (got "daily")'],
            [{ often: true }, "jupyterhub:backup.often is not a known setting; known keys here: enabled, schedule, timeZone, keep, storageSize"],
            [{ enabled: "maybe" }, 'jupyterhub:backup.enabled must be true or false (got "maybe")'],
            [{ schedule: "0 17 2 * * *" }, `jupyterhub:backup.schedule ${CRON} (got "0 17 2 * * *")`],
            [{ schedule: "@every 1h" }, `jupyterhub:backup.schedule ${CRON} (got "@every 1h")`],
            [{ timeZone: "europe/paris" }, 'jupyterhub:backup.timeZone must be an IANA time zone such as "Etc/UTC" or "Europe/Paris" (got "europe/paris")'],
            [{ timeZone: "Mars/Olympus" }, 'jupyterhub:backup.timeZone must be an IANA time zone such as "Etc/UTC" or "Europe/Paris" (got "Mars/Olympus")'],
            [{ keep: "some" }, 'jupyterhub:backup.keep must be a number (got "some")'],
            [{ keep: 2.5 }, "jupyterhub:backup.keep must be a whole number (got 2.5)"],
            [{ keep: 0 }, "jupyterhub:backup.keep must be at least 1 (got 0)"],
            [{ keep: 1001 }, "jupyterhub:backup.keep must be at most 1000 (got 1001)"],
            [{ storageSize: "lots" }, 'jupyterhub:backup.storageSize must be a Kubernetes quantity such as "10Gi" or "512M" (got "lots")'],
        ];
        for (const [backup, line] of cases) assert.deepEqual(problemsOf({ ldap: devUsers, backup }), [line], JSON.stringify(backup));
        // As `pulumi config set --path` stores them: strings.
        const cfg = parseConfig({ ldap: devUsers, backup: { enabled: "false", keep: "3", storageSize: 20, timeZone: "America/Port-au-Prince" } }, "dev");
        assert.deepEqual(cfg.backup, { enabled: false, schedule: "17 2 * * *", timeZone: "America/Port-au-Prince", keep: 3, storageSize: "20" });
    });

    it("quantities compare across units", () => {
        assert.equal(toBytes("1Gi"), 1073741824);
        assert.ok(toBytes("1G") < toBytes("1Gi"));
        assert.ok(toBytes("512M") < toBytes("1G"));
    });
});

/** Bad input, and the words its error must contain (the key, what was given, the fix). */

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

    it("checks across fields still run when other fields of the same object are wrong", () => {
        const problems = problemsOf({ ldap: devUsers, singleuser: { cpuLimit: 1, cpuGuarantee: 2, memoryLimit: "lots", defaultUrl: "lab" } });
        assert.deepEqual(
            problems.map((p) => p.split(" ")[0]).sort(),
            ["jupyterhub:singleuser.cpuGuarantee", "jupyterhub:singleuser.defaultUrl", "jupyterhub:singleuser.memoryLimit"],
            problems.join("\n"),
        );
    });

    it("a check whose field is wrong stays silent instead of adding a second, misleading line", () => {
        const problems = problemsOf({ ldap: devUsers, singleuser: { memoryLimit: "lots", memoryGuarantee: "2G" } });
        assert.deepEqual(problems, ['jupyterhub:singleuser.memoryLimit must be a Kubernetes quantity such as "10Gi" or "512M" (got "lots")']);
    });

    it("a key of another mode is refused naming the mode it belongs to", () => {
        const problems = problemsOf({ ldap: devUsers, nfs: { server: "10.0.0.5" }, ingress: { host: "hub.example.org" } });
        assert.deepEqual(problems, [
            'jupyterhub:nfs.server is only used when jupyterhub:nfs.mode is "external": remove it, or change jupyterhub:nfs.mode (got "10.0.0.5")',
            'jupyterhub:ingress.host is only used when jupyterhub:ingress.enabled is true: remove it, or change jupyterhub:ingress.enabled (got "hub.example.org")',
        ]);
        const none = problemsOf({ ldap: { mode: "none", users: [{ uid: "a" }] }, hub: { authenticatorClass: "dummy" } });
        assert.match(none.join("\n"), /jupyterhub:ldap\.users is only used when jupyterhub:ldap\.mode is "in-cluster"/);
    });

    it("a misspelt key in a list item names the item and the keys it has", () => {
        const [line] = problemsOf({ ldap: devUsers, profiles: [{ slug: "a", gpu: 1 }] });
        assert.match(line, /^jupyterhub:profiles\[0\]\.gpu is not a known setting; known keys here: slug, displayName, .*gpus, gpuResource/);
    });

    it("never echoes a secret, and shows only the first line of a PEM", () => {
        const key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
        const text = problemsOf({ ldap: devUsers, mysqlPassword: 42, ingress: { enabled: true, host: "hub.example.org", tlsCert: key } }).join("\n");
        assert.match(text, /jupyterhub:mysqlPassword must be a string secret \(got "<hidden>"\)/);
        assert.match(text, /jupyterhub:ingress\.tlsCert must be a PEM certificate \(got "-----BEGIN PRIVATE KEY-----\.\.\."\)/);
        assert.ok(!text.includes("MIIE") && !text.includes("42"), text);
    });

    it("every secret key is one whose value a problem line hides", () => {
        for (const k of SECRET_KEYS) assert.match(k, SECRET_PATH, `${k}: lib/problems.ts would echo its value; widen SECRET_PATH`);
    });

    it("numbers and booleans may be strings, as `pulumi config set --path` stores them; null is unset", () => {
        const cfg = parseConfig(
            { ldap: devUsers, culling: { enabled: "false", timeout: "1200", every: null }, ingress: { enabled: "true", host: "hub.example.org" } },
            "dev",
        );
        assert.deepEqual([cfg.culling.enabled, cfg.culling.timeout, cfg.culling.every], [false, 1200, 600]);
        assert.equal(cfg.ingress.enabled && cfg.ingress.host, "hub.example.org");
        assert.deepEqual(problemsOf({ ldap: devUsers, culling: { enabled: "yes" } }), ['jupyterhub:culling.enabled must be true or false (got "yes")']);
    });

    it("each mode has exactly its fields and defaults; nfs.onDelete follows dataPolicy unless set", () => {
        const external = inMode(parseConfig({ ldap: devUsers, nfs: { mode: "external", server: "nfs" } }, "dev").nfs, "external");
        assert.deepEqual([external.path, external.onDelete, "serverImage" in external], ["/", "retain", false]);
        assert.equal(onNfs(parseConfig({ ldap: devUsers, dataPolicy: "delete" }, "dev").nfs).onDelete, "delete");
        assert.equal(onNfs(parseConfig({ ldap: devUsers, dataPolicy: "delete", nfs: { onDelete: "archive" } }, "dev").nfs).onDelete, "archive");
        const ldap = inMode(
            parseConfig({ ldap: { mode: "external", server: "ldap", lookupDn: true, searchUser: "cn=s" }, ldapBindPassword: "<secret>" }, "dev").ldap,
            "external",
        );
        assert.deepEqual([ldap.tlsStrategy, ldap.port, "users" in ldap], ["before_bind", undefined, false]);
    });

    it("nfs.mode storage-class takes the class, the shared volume without its NFS directory, and group shares; no NFS key", () => {
        const raw = { ldap: devUsers, nfs: { mode: "storage-class", storageClass: "efs-sc", shared: { readOnlyForUsers: true }, groupShares: ["hub"] } };
        const nfs = inMode(parseConfig(raw, "dev").nfs, "storage-class");
        assert.deepEqual(nfs, {
            mode: "storage-class",
            storageClass: "efs-sc",
            shared: { enabled: true, size: "10Gi", mountPath: "/mnt/shared", readOnlyForUsers: true },
            groupShares: ["hub"],
        });
        // The checks of the shared volume and group shares hold in this mode too.
        assert.deepEqual(problemsOf({ ...raw, nfs: { ...raw.nfs, groupShares: ["hub", "hub"] } }), ['jupyterhub:nfs.groupShares[1] "hub" is listed twice']);
        assert.deepEqual(problemsOf({ ...raw, singleuser: { homeMountPath: "/mnt/shared/home" } }), [
            'jupyterhub:nfs.shared.mountPath must not hide the home directory, jupyterhub:singleuser.homeMountPath "/mnt/shared/home" (got "/mnt/shared"); use e.g. /mnt/shared',
        ]);
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

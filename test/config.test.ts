import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import { ConfigError, DEFAULTS, isCronSchedule, parseConfig, toBytes } from "../config";
import { BAD, devUsers } from "./bad-configs";
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

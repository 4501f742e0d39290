// The seeds' settings in the chart values (issue 12): home path, extra environment, sudo, private
// registry and chart values no typed key covers, checked against the chart's own schema; and the
// rule that keeps chartValues off what the program sets.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import Ajv from "ajv";
import * as YAML from "yaml";

import { PRIVILEGED_REASON } from "../../lib/pods";
import { directoryGroups } from "../../components/groups";
import { dockerConfigJson, grantSudo, HubWiring, hubValues, overlayValues, REGISTRY_SECRET } from "../../components/hub";
import { ldapAuthSettings } from "../../components/directory/client";
import { CHART_DEFAULTS_OVERRIDABLE, chartValuesProblems, OWNED_CHART_VALUES, ownedChartValue } from "../../lib/chart-values";
import { parseConfig, PlatformConfig } from "../../config";
import { ConfigError } from "../../lib/problems";
import { chartDataDir, get, helmMerge, rawStackConfig } from "../support/helpers";
import { SEED_CHART_VALUES, SEED_IMAGE, SEED_REGISTRY, SEED_REGISTRY_USER, SEED_SINGLEUSER } from "../support/seed";

const dir = chartDataDir();
const chartDefaults = YAML.parse(fs.readFileSync(path.join(dir, "values.yaml"), "utf8")) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(path.join(dir, "values.schema.json"), "utf8")) as object);

/** Schema errors of values merged with the chart's defaults, as `helm install` checks them. */
function schemaErrors(values: unknown): string[] {
    return validate(helmMerge(chartDefaults, values)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

const wiring = (cfg: PlatformConfig): HubWiring => ({
    dbUrl: "mysql+pymysql://jupyterhub@mysql.ns.svc.cluster.local:3306/jupyterhub",
    dbPoolRecycle: cfg.mysql.poolRecycle,
    homeStorageClass: "jupyterhub-home",
    shared: cfg.nfs.shared.enabled
        ? { claimName: "jupyterhub-shared", mountPath: cfg.nfs.shared.mountPath, readOnlyForUsers: cfg.nfs.shared.readOnlyForUsers }
        : undefined,
    groupShares: cfg.nfs.groupShares.length > 0 ? { claimName: "jupyterhub-group-shares", groups: cfg.nfs.groupShares } : undefined,
    ldap: ldapAuthSettings(cfg.ldap, cfg.namespace),
    directoryGroups: directoryGroups(cfg.ldap, cfg.profiles, cfg.nfs.groupShares),
    ldapCaConfigMap: "jupyterhub-ldap-ca",
    ingressTlsSecret: cfg.ingress.enabled ? (cfg.ingress.tlsSecretName ?? "jupyterhub-tls") : undefined,
});

const SECRETS = { registryPassword: "<secret>" };
const seed = parseConfig({ ...rawStackConfig("dev"), singleuser: SEED_SINGLEUSER, chartValues: SEED_CHART_VALUES, ...SECRETS }, "dev");
const seedValues = hubValues(seed, wiring(seed));
const dev = parseConfig(rawStackConfig("dev"), "dev");
const devValues = hubValues(dev, wiring(dev));

function problemsOf(raw: Record<string, unknown>): string[] {
    try {
        parseConfig(raw, "dev");
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.problems;
    }
    return [];
}
const devUsers = rawStackConfig("dev").ldap as Record<string, unknown>;

describe("seed values: what the chart receives", () => {
    it("validate against the chart's schema, and so do the dev values with the new defaults", () => {
        assert.deepEqual(schemaErrors(seedValues), []);
        assert.deepEqual(schemaErrors(devValues), []);
    });

    it("the home volume at /home/jupyter, the server starting there; the dev stack keeps z2jh's /home/jovyan", () => {
        assert.equal(get(seedValues, "singleuser.storage.homeMountPath"), "/home/jupyter");
        assert.equal(get(seedValues, "hub.config.KubeSpawner.working_dir"), "/home/jupyter");
        assert.equal(get(devValues, "singleuser.storage.homeMountPath"), "/home/jovyan");
        assert.equal(get(devValues, "hub.config.KubeSpawner.working_dir"), "/home/jovyan");
        // The shared volume keeps its own place beside it.
        assert.deepEqual(get(seedValues, "singleuser.storage.extraVolumeMounts"), [{ name: "shared", mountPath: "/mnt/shared", readOnly: true }]);
    });

    it("the image from the private registry, pulled with the program's Secret, which the values only name", () => {
        assert.deepEqual(get(seedValues, "singleuser.image"), {
            name: `${SEED_REGISTRY}/jupyter/shared-volume-notebook`,
            tag: "2024.09.1",
            pullSecrets: [REGISTRY_SECRET],
        });
        assert.equal(get(devValues, "singleuser.image.pullSecrets"), undefined);
        assert.equal(get(seedValues, "imagePullSecret"), undefined, "not the chart's own Secret, whose password would sit in the values");
    });

    it("sudo: a root start with docker-stacks' settings, the user named after the home, the pods annotated with the reason", () => {
        assert.equal(get(seedValues, "singleuser.uid"), 0);
        assert.equal(get(seedValues, "singleuser.allowPrivilegeEscalation"), true);
        assert.deepEqual(get(seedValues, "singleuser.extraEnv"), {
            COURSE_DATA: "/mnt/shared/course",
            GRANT_SUDO: "yes",
            NB_USER: "jupyter",
            NB_UID: "1000",
            NB_GID: "100",
        });
        assert.match(
            String(get(seedValues, "singleuser.extraAnnotations")?.[PRIVILEGED_REASON as never]),
            /^jupyterhub:singleuser\.grantSudo: .*runs the server as jupyter \(uid 1000\)/,
        );
        // Without grantSudo: nothing of it, z2jh's non-root defaults stay.
        for (const k of ["singleuser.uid", "singleuser.allowPrivilegeEscalation", "singleuser.extraAnnotations", "singleuser.extraEnv"])
            assert.equal(get(devValues, k), undefined, k);
        assert.deepEqual(grantSudo("/home/ada").env, { GRANT_SUDO: "yes", NB_USER: "ada", NB_UID: "1000", NB_GID: "100" });
    });

    it("an extra environment variable alone, and one from a Secret, reach extraEnv as given", () => {
        const cfg = parseConfig(
            {
                ldap: devUsers,
                singleuser: {
                    extraEnv: { COURSE: "physics-101", WORKERS: 4, DB_PASSWORD: { valueFrom: { secretKeyRef: { name: "course-db", key: "password" } } } },
                },
            },
            "dev",
        );
        const v = hubValues(cfg, wiring(cfg));
        assert.deepEqual(get(v, "singleuser.extraEnv"), {
            COURSE: "physics-101",
            WORKERS: "4",
            DB_PASSWORD: { valueFrom: { secretKeyRef: { name: "course-db", key: "password" } } },
        });
        assert.deepEqual(schemaErrors(v), []);
    });

    it("chart values no typed key covers land in the values, beside the generated ones", () => {
        assert.equal(get(seedValues, "hub.allowNamedServers"), true);
        assert.equal(get(seedValues, "singleuser.networkPolicy.egressAllowRules.privateIPs"), true);
        assert.equal(get(seedValues, "hub.db.type"), "mysql", "merged into hub, not replacing it");
        assert.deepEqual(get(seedValues, "singleuser.cpu"), { limit: 1, guarantee: 0.1 });
    });

    it("the seeds' other chart settings pass the config and the schema: egress rules, node affinity, extra containers, hub services, named servers", () => {
        const chartValues = {
            hub: { allowNamedServers: true, namedServerLimitPerUser: 2, services: { grader: { url: "http://grader:8888", admin: false } } },
            singleuser: {
                networkPolicy: { egress: [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ port: 5432, protocol: "TCP" }] }] },
                extraNodeAffinity: { required: [{ matchExpressions: [{ key: "node-role", operator: "In", values: ["users"] }] }] },
                extraContainers: [{ name: "sidecar", image: "busybox:1.36.1", command: ["sleep", "infinity"] }],
                extraLabels: { course: "physics" },
            },
        };
        const cfg = parseConfig({ ldap: devUsers, chartValues }, "dev");
        const v = hubValues(cfg, wiring(cfg));
        assert.deepEqual(schemaErrors(v), []);
        assert.equal(get(v, "hub.services.grader.url"), "http://grader:8888");
        assert.deepEqual(get(v, "singleuser.extraLabels"), { course: "physics" });
    });

    it("a value the chart's schema rejects fails the schema check (the one Helm runs at preview)", () => {
        const cfg = parseConfig({ ldap: devUsers, chartValues: { singleuser: { bogus: 1 }, hub: { publicURL: "x" } } }, "dev");
        const errors = schemaErrors(hubValues(cfg, wiring(cfg)));
        assert.ok(
            errors.some((e) => e.includes('"additionalProperty":"bogus"')),
            errors.join("\n"),
        );
        assert.ok(
            errors.some((e) => e.includes('"additionalProperty":"publicURL"')),
            errors.join("\n"),
        );
    });

    it("chartValues may change the program's own defaults, e.g. the hub's memory", () => {
        const cfg = parseConfig({ ldap: devUsers, chartValues: { hub: { resources: { limits: { memory: "2Gi" } } } } }, "dev");
        const v = hubValues(cfg, wiring(cfg));
        assert.deepEqual(get(v, "hub.resources"), { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } });
    });

    it("the pull Secret's .dockerconfigjson is what `kubectl create secret docker-registry` writes", () => {
        const json = JSON.parse(dockerConfigJson(SEED_REGISTRY, SEED_REGISTRY_USER, "p:w")) as unknown;
        assert.deepEqual(json, {
            auths: { [SEED_REGISTRY]: { username: SEED_REGISTRY_USER, password: "p:w", auth: Buffer.from(`${SEED_REGISTRY_USER}:p:w`).toString("base64") } },
        });
        assert.equal(SEED_IMAGE.split("/")[0], SEED_REGISTRY);
        assert.deepEqual(Object.keys(get(JSON.parse(dockerConfigJson("docker.io", "u", "p")), "auths") as object), ["https://index.docker.io/v1/"]);
    });
});

describe("chart values merge (overlayValues)", () => {
    it("merges maps key by key; lists, scalars and null replace; the inputs stay as they were", () => {
        const base = { a: { b: 1, c: [1, 2] }, d: "x", e: { f: 1 } };
        const over = { a: { c: [3], g: true }, d: null, e: 2, h: { i: 1 } };
        const before = JSON.stringify([base, over]);
        assert.deepEqual(overlayValues(base, over), { a: { b: 1, c: [3], g: true }, d: null, e: 2, h: { i: 1 } });
        assert.equal(JSON.stringify([base, over]), before);
    });
});

/** Every value path of a values tree: lists and scalars are values; empty maps set nothing. */
function leaves(v: unknown, at: string[] = []): string[][] {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return [at];
    return Object.entries(v).flatMap(([k, x]) => leaves(x, [...at, k]));
}

describe("chartValues: the program's values are refused, one line each, naming the key to use", () => {
    it("jupyterhub:chartValues.hub.db.url names chartValues and jupyterhub:mysql", () => {
        assert.deepEqual(problemsOf({ ldap: devUsers, chartValues: { hub: { db: { url: "mysql+pymysql://x:y@h/d" } } } }), [
            "jupyterhub:chartValues.hub.db.url is set by the program; use jupyterhub:mysql instead (the hub database; its URL with the password is in the program's Secret)",
        ]);
    });

    it("every value the program generates, for every kind of stack, is owned or a documented overridable default", () => {
        const variants: Array<[string, PlatformConfig]> = [
            ["dev", dev],
            ["seed, its chartValues left out", { ...seed, chartValues: {} }],
            ["prod", parseConfig({ ...rawStackConfig("prod"), mysqlPassword: "<secret>", ldapBindPassword: "<secret>" }, "prod")],
            [
                "ingress, self-signed",
                parseConfig(
                    { ...rawStackConfig("dev"), ingress: { enabled: true, host: "hub.example.org", className: "nginx", annotations: { a: "b" } } },
                    "dev",
                ),
            ],
            [
                "no LDAP",
                parseConfig(
                    {
                        ldap: { mode: "none" },
                        hub: { authenticatorClass: "github", authenticatorConfig: { GitHubOAuthenticator: { allowed_organizations: ["o"] } } },
                    },
                    "dev",
                ),
            ],
        ];
        const overridable = CHART_DEFAULTS_OVERRIDABLE.map((p) => p.split("."));
        let checked = 0;
        for (const [name, cfg] of variants) {
            for (const leaf of leaves(hubValues(cfg, wiring(cfg)))) {
                checked++;
                const ok = ownedChartValue(leaf) !== undefined || overridable.some((o) => o.every((k, i) => leaf[i] === k));
                assert.ok(ok, `${name}: the program sets ${leaf.join(".")}, which is neither in OWNED_CHART_VALUES nor in CHART_DEFAULTS_OVERRIDABLE`);
            }
        }
        assert.ok(checked > 100, `${checked} values checked`);
        // The check has teeth: a value nobody declared is caught.
        assert.equal(ownedChartValue(["hub", "someNewSetting"]), undefined);
    });

    it("every owned value given in chartValues is refused with one line naming its path", () => {
        for (const o of OWNED_CHART_VALUES) {
            const concrete = o.path.map((k) => (k === "*" ? "grader" : k.startsWith("*") ? `My${k.slice(1)}` : k));
            const value = concrete.reduceRight<unknown>((inner, k) => ({ [k]: inner }), "x") as Record<string, unknown>;
            const problems = chartValuesProblems(value);
            assert.equal(problems.length, 1, `${concrete.join(".")}: ${problems.join("\n")}`);
            assert.ok(problems[0].startsWith(`jupyterhub:chartValues.${concrete.join(".")} is set by the program; `), problems[0]);
            assert.match(problems[0], /; (use jupyterhub:|remove it)/);
        }
    });

    it("the most specific owner answers: Authenticator.admin_users names hub.admins, other authenticator settings hub.authenticatorConfig", () => {
        const problems = chartValuesProblems({
            hub: { config: { Authenticator: { admin_users: ["x"], auto_login: true }, KubeSpawner: { http_timeout: 60 } } },
        });
        assert.deepEqual(problems, [
            "jupyterhub:chartValues.hub.config.Authenticator.admin_users is set by the program; use jupyterhub:hub.admins instead",
            "jupyterhub:chartValues.hub.config.Authenticator.auto_login is set by the program; use jupyterhub:hub.authenticatorConfig instead (or jupyterhub:ldap for LDAP login)",
        ]);
    });

    it("a list, scalar or null above owned values is refused, an empty map is nothing", () => {
        assert.deepEqual(chartValuesProblems({ hub: null, cull: {} }), [
            "jupyterhub:chartValues.hub must be a map of chart values here (got null): as a whole it would replace hub.existingSecret, which the program sets; remove it: the program generates the hub's secrets and keeps them in its own Secret (hub.existingSecret), never in chart values",
        ]);
        assert.deepEqual(chartValuesProblems({ singleuser: { extraLabels: null, image: { pullPolicy: "Always" } } }), []);
    });

    it("a null in chartValues reaches the values (Helm then drops the chart's default) and is refused above owned values", () => {
        const cfg = parseConfig({ ldap: devUsers, chartValues: { singleuser: { extraLabels: null } } }, "dev");
        assert.deepEqual(cfg.chartValues, { singleuser: { extraLabels: null } });
        assert.equal(get(hubValues(cfg, wiring(cfg)), "singleuser.extraLabels"), null);
        assert.deepEqual(problemsOf({ ldap: devUsers, chartValues: { cull: null } }), [
            "jupyterhub:chartValues.cull must be a map of chart values here (got null): as a whole it would replace cull.enabled, which the program sets; use jupyterhub:culling.enabled instead",
        ]);
    });

    it("every problem at once, with the other config problems", () => {
        const problems = problemsOf({
            ldap: devUsers,
            dataPolicy: "keep",
            chartValues: { hub: { db: { url: "x", type: "sqlite-pvc" } }, singleuser: { uid: 0 }, cull: { enabled: false } },
        });
        assert.equal(problems.length, 5, problems.join("\n"));
        assert.ok(
            problems.includes(
                "jupyterhub:chartValues.singleuser.uid is set by the program; use jupyterhub:singleuser.grantSudo instead (a root start only with docker-stacks' drop to the user)",
            ),
        );
        assert.ok(problems.includes("jupyterhub:chartValues.cull.enabled is set by the program; use jupyterhub:culling.enabled instead"));
    });
});

describe("config: the seed keys accept what they document", () => {
    it("defaults: home /home/jovyan, no extra environment, no sudo, no registry, no chart values", () => {
        const su = dev.singleuser;
        assert.deepEqual([su.homeMountPath, su.extraEnv, su.grantSudo, su.registry, dev.chartValues], ["/home/jovyan", {}, false, undefined, {}]);
        assert.equal(dev.secretsPresent.registryPassword, false);
    });

    it("the seed: its home, sudo, registry, environment and chart values, the password only as present", () => {
        assert.equal(seed.singleuser.homeMountPath, "/home/jupyter");
        assert.equal(seed.singleuser.grantSudo, true);
        assert.deepEqual(seed.singleuser.registry, { server: SEED_REGISTRY, username: SEED_REGISTRY_USER });
        assert.deepEqual(seed.singleuser.extraEnv, { COURSE_DATA: "/mnt/shared/course" });
        assert.deepEqual(seed.chartValues, SEED_CHART_VALUES);
        assert.equal(seed.secretsPresent.registryPassword, true);
    });

    it("booleans and numbers as text (as `pulumi config set --path` stores them), registries with a port, Docker Hub images", () => {
        const cfg = parseConfig(
            {
                ldap: devUsers,
                singleuser: {
                    grantSudo: "true",
                    image: "registry.example.org:5000/nb/lab:3.1",
                    extraEnv: { OMP_NUM_THREADS: 2 },
                    registry: { server: "registry.example.org:5000", username: "ci" },
                },
                profiles: [{ slug: "hub", image: "jupyter/base-notebook:2024-01-01" }],
                registryPassword: "<secret>",
            },
            "dev",
        );
        assert.equal(cfg.singleuser.grantSudo, true);
        assert.deepEqual(cfg.singleuser.extraEnv, { OMP_NUM_THREADS: "2" });
        assert.equal(cfg.singleuser.registry?.server, "registry.example.org:5000");
        const hub = parseConfig(
            {
                ldap: devUsers,
                singleuser: { image: "jupyter/base-notebook:2024-01-01", registry: { server: "docker.io", username: "u" } },
                registryPassword: "<secret>",
            },
            "dev",
        );
        assert.equal(hub.singleuser.registry?.server, "docker.io");
    });

    it("one line per bad variable, naming it; a credential's value is never shown", () => {
        const problems = problemsOf({
            ldap: devUsers,
            singleuser: {
                extraEnv: {
                    A: { valueFrom: { secretKeyRef: { name: "s", key: "k" }, fieldRef: { fieldPath: "x" } } },
                    B: { valueFrom: { vaultRef: {} } },
                    C: [1],
                    DB_PASSWORD: "hunter2",
                    "1X": "y",
                    JUPYTERHUB_API_URL: "http://x",
                },
            },
        });
        const ref = "must be a text value or {valueFrom: {secretKeyRef | configMapKeyRef | fieldRef | resourceFieldRef: {...}}}";
        assert.deepEqual(problems, [
            `jupyterhub:singleuser.extraEnv.A ${ref} (got {"valueFrom":{"secretKeyRef":{"name":"s","key":"k"},"fieldRef":{"fieldPath":"x"}}})`,
            `jupyterhub:singleuser.extraEnv.B ${ref} (got {"valueFrom":{"vaultRef":{}}})`,
            `jupyterhub:singleuser.extraEnv.C ${ref} (got [1])`,
            "jupyterhub:singleuser.extraEnv.DB_PASSWORD looks like a credential, which must not be stored in plain config: give {valueFrom: {secretKeyRef: {name: <Secret>, key: <key>}}} instead, or mount the file and set DB_PASSWORD_FILE to its path",
            'jupyterhub:singleuser.extraEnv.1X is not a variable name: use letters, digits and "_", not starting with a digit',
            "jupyterhub:singleuser.extraEnv.JUPYTERHUB_API_URL is set by the hub for every server; choose another name",
        ]);
        assert.ok(!problems.join("\n").includes("hunter2"));
    });

    it("a registry password without a registry is refused, without showing it", () => {
        assert.deepEqual(problemsOf({ ldap: devUsers, registryPassword: "<secret>" }), [
            "jupyterhub:registryPassword is only used with jupyterhub:singleuser.registry: set the registry's server and username, or remove the secret",
        ]);
    });

    it("a credential-named variable from a Secret, and a _FILE variant, are fine", () => {
        const cfg = parseConfig(
            {
                ldap: devUsers,
                singleuser: { extraEnv: { API_TOKEN: { valueFrom: { secretKeyRef: { name: "t", key: "k" } } }, API_TOKEN_FILE: "/etc/course/token" } },
            },
            "dev",
        );
        assert.deepEqual(Object.keys(cfg.singleuser.extraEnv), ["API_TOKEN", "API_TOKEN_FILE"]);
    });
});

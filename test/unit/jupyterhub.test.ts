import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import Ajv from "ajv";
import * as YAML from "yaml";

import { parseConfig, PlatformConfig } from "../../config";
import { directoryGroups } from "../../components/groups";
import {
    chartSource,
    HUB_SECRET,
    hubSecretData,
    HubWiring,
    hubValues,
    localChartProblems,
    PROXY_TOKEN_KEY,
    proxyTokenFromHubSecret,
    stableChecksums,
} from "../../components/hub";
import { proxyTokenFingerprint } from "../../components/secrets";
import { splitImage } from "../../lib/formats";
import { ldapAuthSettings } from "../../components/directory/client";
import { applyTransform, z2jhDeployment as chartDeployment } from "../support/chart-deployments";
import { chartDataDir, get, helmMerge, promiseOf, rawStackConfig } from "../support/helpers";

const dir = chartDataDir();
const chartDefaults = YAML.parse(fs.readFileSync(path.join(dir, "values.yaml"), "utf8")) as Record<string, unknown>;
const schema = JSON.parse(fs.readFileSync(path.join(dir, "values.schema.json"), "utf8")) as object;
const chart = YAML.parse(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as { version: string };
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** Schema errors of values merged with the chart's defaults, as `helm install` checks them. */
function schemaErrors(values: unknown): string[] {
    const ok = validate(helmMerge(chartDefaults, values));
    return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

const wiring = (cfg: PlatformConfig): HubWiring => ({
    dbUrl: "mysql+pymysql://jupyterhub@mysql.ns.svc.cluster.local:3306/jupyterhub",
    homeStorageClass: "jupyterhub-home",
    dbPoolRecycle: cfg.mysql.poolRecycle,
    shared: { claimName: "jupyterhub-shared", mountPath: cfg.nfs.shared.mountPath, readOnlyForUsers: cfg.nfs.shared.readOnlyForUsers },
    groupShares: cfg.nfs.groupShares.length > 0 ? { claimName: "jupyterhub-group-shares", groups: cfg.nfs.groupShares } : undefined,
    ldap: ldapAuthSettings(cfg.ldap, cfg.namespace),
    directoryGroups: directoryGroups(cfg.ldap, cfg.profiles, cfg.nfs.groupShares),
    ldapCaConfigMap: "jupyterhub-ldap-ca",
    ingressTlsSecret: cfg.ingress.enabled ? (cfg.ingress.tlsSecretName ?? "jupyterhub-tls") : undefined,
});

const dev = parseConfig(rawStackConfig("dev"), "dev");
const prod = parseConfig({ ...rawStackConfig("prod"), mysqlPassword: "<secret>", ldapBindPassword: "<secret>" }, "prod");
const devValues = hubValues(dev, wiring(dev));
const prodValues = hubValues(prod, wiring(prod));

describe("jupyterhub: values against the chart's own schema", () => {
    it(`uses the chart data of version ${chart.version} (set JUPYTERHUB_CHART_DATA to override ${dir})`, () => {
        assert.equal(chart.version, "4.4.0");
        assert.equal(dev.hub.chartVersion, chart.version);
    });

    it("the validator rejects what 4.4.0 rejects (values from a chart-0.9-era seed post)", () => {
        const seed = {
            auth: { type: "ldap", ldap: { server: { address: "ldap" } } },
            hub: { publicURL: "x", db: { type: "mysql" } },
            singleuser: { storage: { type: "dynamic", capacity: 1 } },
        };
        const errors = schemaErrors(seed);
        assert.ok(errors.length >= 3, errors.join("\n"));
        assert.ok(errors.some((e) => e.includes('"additionalProperty":"auth"')));
        assert.ok(errors.some((e) => e.includes('"additionalProperty":"publicURL"')));
    });

    it("dev values validate", () => assert.deepEqual(schemaErrors(devValues), []));
    it("prod values validate", () => assert.deepEqual(schemaErrors(prodValues), []));

    it("values for login without LDAP validate too", () => {
        const none = parseConfig({ ldap: { mode: "none" }, hub: { authenticatorClass: "dummy" }, nfs: { shared: { enabled: false } } }, "dev");
        const v = hubValues(none, { ...wiring(none), shared: undefined });
        assert.deepEqual(schemaErrors(v), []);
        assert.equal(get(v, "hub.config.JupyterHub.authenticator_class"), "dummy");
        assert.equal(get(v, "hub.config.Authenticator.allow_all"), true);
    });
});

describe("jupyterhub: what the chart receives", () => {
    it("holds no secret: the hub's secrets come from the program's Secret, the proxy token from the chart's own", () => {
        assert.equal(get(devValues, "hub.existingSecret"), HUB_SECRET);
        for (const key of ["proxy.secretToken", "hub.cookieSecret", "hub.config.CryptKeeper", "hub.config.JupyterHub.cookie_secret", "hub.db.password"]) {
            assert.equal(get(devValues, key), undefined, key);
            assert.equal(get(prodValues, key), undefined, key);
        }
        assert.equal(get(prodValues, "hub.config.LDAPAuthenticator.lookup_dn_search_password"), undefined);
        assert.equal(get(devValues, "hub.config.Authenticator.enable_auth_state"), true);
    });

    it("the existing Secret carries what z2jh reads from it: the keys of get_secret_value and values merged over the chart's", () => {
        const data = hubSecretData({
            cookieSecret: "b".repeat(64),
            cryptKeeperKey: "c".repeat(64),
            proxyToken: "d".repeat(64),
            dbUrl: "mysql+pymysql://u:p%40ss@h:3306/d",
        });
        assert.deepEqual(Object.keys(data).sort(), [
            "hub.config.ConfigurableHTTPProxy.auth_token",
            "hub.config.CryptKeeper.keys",
            "hub.config.JupyterHub.cookie_secret",
            "values.yaml",
        ]);
        assert.equal(data["hub.config.JupyterHub.cookie_secret"], "b".repeat(64));
        assert.equal(data["hub.config.CryptKeeper.keys"], "c".repeat(64));
        // The key the chart's Deployments read the token from (PROXY_TOKEN_KEY), now in this Secret.
        assert.equal(data[PROXY_TOKEN_KEY], "d".repeat(64));
        // JSON is YAML: z2jh's yaml.safe_load reads it.
        assert.deepEqual(YAML.parse(data["values.yaml"]), { hub: { db: { url: "mysql+pymysql://u:p%40ss@h:3306/d" } } });
        const withSearch = hubSecretData({ cookieSecret: "b", cryptKeeperKey: "c", proxyToken: "d", dbUrl: "x", ldapSearchPassword: "search: pw" });
        assert.deepEqual(YAML.parse(withSearch["values.yaml"]), {
            hub: { db: { url: "x" }, config: { LDAPAuthenticator: { lookup_dn_search_password: "search: pw" } } },
        });
    });

    it("uses MySQL without the password in the chart's URL, not hub.db.password, and recycles connections", () => {
        assert.equal(get(devValues, "hub.db.type"), "mysql");
        assert.equal(get(devValues, "hub.db.url"), "mysql+pymysql://jupyterhub@mysql.ns.svc.cluster.local:3306/jupyterhub");
        assert.equal(get(devValues, "hub.db.password"), undefined);
        assert.equal(get(devValues, "hub.config.JupyterHub.db_kwargs.pool_recycle"), 3600);
    });

    it("the chart comes from hub.chartPath, else JUPYTERHUB_CHART_DIR, else the repository at the pinned version", () => {
        assert.deepEqual(chartSource(dev.hub, {}), { chart: "jupyterhub", version: "4.4.0", repositoryOpts: { repo: "https://hub.jupyter.org/helm-chart/" } });
        assert.deepEqual(chartSource(dev.hub, { JUPYTERHUB_CHART_DIR: "/c" }), { chart: "/c" });
        assert.deepEqual(chartSource({ ...dev.hub, chartPath: "/p" }, { JUPYTERHUB_CHART_DIR: "/c" }), { chart: "/p" });
    });

    it("a local chart must be the pinned jupyterhub chart, else one error naming where it came from", () => {
        const where = "JUPYTERHUB_CHART_DIR (/c)";
        assert.deepEqual(localChartProblems(where, "apiVersion: v2\nname: jupyterhub\nversion: 4.4.0\n", "4.4.0"), []);
        assert.deepEqual(localChartProblems(where, 'name: jupyterhub\nversion: "4.3.5"\n', "4.4.0"), [
            "JUPYTERHUB_CHART_DIR (/c) is chart version 4.3.5, but jupyterhub:hub.chartVersion pins 4.4.0: use the 4.4.0 chart, or change the pin",
        ]);
        assert.match(localChartProblems(where, "name: other\nversion: 4.4.0\n", "4.4.0")[0], /is the chart "other", not "jupyterhub"/);
        assert.match(localChartProblems(where, undefined, "4.4.0")[0], /has no Chart\.yaml/);
        assert.equal(localChartProblems(where, fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8"), "4.4.0").length, 0, "the chart data in ../shared passes");
    });

    it("dev: LDAP login limited to the allowed group, demo is admin, nobody else admitted by default", () => {
        assert.equal(get(devValues, "hub.config.JupyterHub.authenticator_class"), "ldapauthenticator.LDAPAuthenticator");
        // Every group the hub reads; the subclass in hub.extraConfig admits the allowed (and admin) groups only (groups.test.ts).
        assert.deepEqual(
            (get(devValues, "hub.config.LDAPAuthenticator.allowed_groups") as string[])[0],
            "cn=jupyterhub-users,ou=groups,dc=dev,dc=jupyterhub,dc=local",
        );
        assert.deepEqual(get(devValues, "hub.config.LDAPAuthenticator.bind_dn_template"), ["uid={username},ou=people,dc=dev,dc=jupyterhub,dc=local"]);
        assert.equal(get(devValues, "hub.config.Authenticator.allow_all"), false);
        assert.deepEqual(get(devValues, "hub.config.Authenticator.admin_users"), ["demo"]);
        assert.deepEqual(get(devValues, "hub.extraVolumeMounts"), [
            { name: "ldap-ca", mountPath: "/etc/jupyterhub/ldap-ca", readOnly: true },
            // the hub's root filesystem is read-only: what it writes is an emptyDir
            { name: "hub-workdir", mountPath: "/srv/jupyterhub" },
            { name: "hub-tmp", mountPath: "/tmp" },
        ]);
    });

    it("homes on the NFS class; the shared claim mounted read-only, writable for admins by the spawn hook", () => {
        assert.equal(get(devValues, "singleuser.storage.dynamic.storageClass"), "jupyterhub-home");
        assert.equal(get(devValues, "singleuser.storage.capacity"), "1Gi");
        assert.deepEqual(get(devValues, "singleuser.storage.extraVolumeMounts"), [{ name: "shared", mountPath: "/mnt/shared", readOnly: true }]);
        assert.deepEqual(get(devValues, "singleuser.storage.extraVolumes"), [{ name: "shared", persistentVolumeClaim: { claimName: "jupyterhub-shared" } }]);
        assert.match(String(get(devValues, "hub.extraConfig.10-spawn-hooks")), /sharedWritableForAdmins.*spawner\.user\.admin/s);
    });

    it("limits, image, default URL, culling and the hook pre-puller off", () => {
        assert.deepEqual(get(devValues, "singleuser.image"), { name: "quay.io/jupyterhub/k8s-singleuser-sample", tag: "4.4.0" });
        assert.deepEqual(get(devValues, "singleuser.memory"), { limit: "1G", guarantee: "256M" });
        assert.deepEqual(get(devValues, "singleuser.cpu"), { limit: 1, guarantee: 0.1 });
        assert.equal(get(devValues, "singleuser.defaultUrl"), "/lab");
        assert.deepEqual(get(devValues, "cull"), { enabled: true, timeout: 1800, every: 300, maxAge: 0, users: false });
        assert.equal(get(devValues, "prePuller.hook.enabled"), false);
        assert.equal(get(devValues, "proxy.service.type"), "NodePort");
    });

    it("prod: GPU profile, postStart hook, ingress with the given TLS secret", () => {
        const profiles = get(prodValues, "singleuser.profileList") as Array<Record<string, unknown>>;
        const gpu = profiles.find((p) => p.slug === "gpu")!;
        assert.deepEqual(get(gpu, "kubespawner_override.extra_resource_limits"), { "nvidia.com/gpu": "1" });
        assert.deepEqual(get(gpu, "kubespawner_override.node_selector"), { "nvidia.com/gpu.present": "true" });
        assert.equal(profiles.find((p) => p.slug === "standard")!.default, true);
        assert.deepEqual(get(prodValues, "singleuser.lifecycleHooks.postStart.exec.command"), ["sh", "-c", "ln -sfn /mnt/shared ~/shared"]);
        assert.deepEqual(get(prodValues, "ingress.tls"), [{ hosts: ["hub.example.org"], secretName: "hub-example-org-tls" }]);
        assert.equal(get(prodValues, "ingress.ingressClassName"), "nginx");
        assert.equal(get(prodValues, "proxy.service.type"), "ClusterIP");
    });

    it("every pod of the chart gets requests and limits (z2jh leaves them empty)", () => {
        for (const p of [
            "hub.resources",
            "proxy.chp.resources",
            "scheduling.userScheduler.resources",
            "prePuller.resources",
            "singleuser.networkTools.resources",
        ]) {
            const r = get(devValues, p) as { limits?: { cpu?: unknown; memory?: unknown }; requests?: unknown };
            assert.ok(r?.limits?.cpu && r.limits.memory && r.requests, `${p} has no limits`);
        }
        assert.deepEqual(get(devValues, "scheduling.userPlaceholder.resources"), { requests: { cpu: 0.1, memory: "256M" }, limits: { cpu: 1, memory: "1G" } });
    });

    it("splits image references", () => {
        assert.deepEqual(splitImage("quay.io/a/b:1.2"), { name: "quay.io/a/b", tag: "1.2" });
        assert.deepEqual(splitImage("localhost:5000/img:2"), { name: "localhost:5000/img", tag: "2" });
        assert.deepEqual(splitImage("img@sha256:abc"), { name: "img", tag: "sha256:abc" });
    });
});

const TOKEN = "0123456789abcdef".repeat(4);
const envOf = (props: Record<string, unknown> | undefined) => get(props, "spec.template.spec.containers.0.env") as Array<Record<string, unknown>>;

describe("jupyterhub: the proxy's token is the program's", () => {
    it("the hub and the proxy read CONFIGPROXY_AUTH_TOKEN from the program's Secret, same key; nothing else of theirs changes", () => {
        for (const name of ["hub", "proxy"] as const) {
            const before = chartDeployment(name);
            const out = applyTransform(proxyTokenFromHubSecret(), before);
            const token = envOf(out?.props).find((e) => e.name === "CONFIGPROXY_AUTH_TOKEN");
            assert.deepEqual(token?.valueFrom, { secretKeyRef: { name: HUB_SECRET, key: PROXY_TOKEN_KEY } }, name);
            // Everything else as rendered: put the reference back and the objects are equal.
            const restored = structuredClone(out!.props);
            (get(restored, "spec.template.spec.containers.0.env") as Array<{ name: string; valueFrom: { secretKeyRef: { name: string } } }>).find(
                (e) => e.name === "CONFIGPROXY_AUTH_TOKEN",
            )!.valueFrom.secretKeyRef.name = "hub";
            assert.deepEqual(restored, before, name);
        }
    });

    it("leaves the chart's other objects alone", () => {
        assert.equal(applyTransform(proxyTokenFromHubSecret(), chartDeployment("user-scheduler")), undefined);
        assert.equal(applyTransform(proxyTokenFromHubSecret(), { metadata: { name: "hub" }, data: {} }, "kubernetes:core/v1:Secret"), undefined);
    });

    it("a chart whose hub or proxy reads the token otherwise stops the run, naming the Deployment", () => {
        assert.throws(
            () => applyTransform(proxyTokenFromHubSecret(), chartDeployment("proxy", [{ name: "OTHER", value: "x" }])),
            /Deployment "proxy" does not read the proxy's token as z2jh 4\.4\.0 does \(no container reads CONFIGPROXY_AUTH_TOKEN/,
        );
        assert.throws(
            () => applyTransform(proxyTokenFromHubSecret(), chartDeployment("hub", [{ name: "CONFIGPROXY_AUTH_TOKEN", value: "plain" }])),
            /Deployment "hub" .*container hub sets CONFIGPROXY_AUTH_TOKEN otherwise than from the key hub\.config\.ConfigurableHTTPProxy\.auth_token/,
        );
    });

    it("the proxy's checksum/auth-token, and the hub's, are the token's fingerprint; the hub's checksum/secret a digest of the values", () => {
        const t = stableChecksums(devValues, "4.4.0", proxyTokenFingerprint(TOKEN));
        const proxy = get(applyTransform(t, chartDeployment("proxy"))?.props, "spec.template.metadata.annotations") as Record<string, string>;
        const hub = get(applyTransform(t, chartDeployment("hub"))?.props, "spec.template.metadata.annotations") as Record<string, string>;
        assert.equal(proxy["checksum/auth-token"], proxyTokenFingerprint(TOKEN));
        assert.equal(proxy["checksum/proxy-secret"], "e".repeat(64), "the chart's other checksum stays");
        assert.equal(hub["checksum/auth-token"], proxyTokenFingerprint(TOKEN));
        assert.match(hub["checksum/secret"], /^[0-9a-f]{64}$/);
        assert.notEqual(
            hub["checksum/secret"],
            get(chartDeployment("hub"), "spec.template.metadata.annotations.checksum/secret"),
            "the chart's own is replaced",
        );
        assert.equal(hub["checksum/config-map"], "c".repeat(64));
        assert.equal(applyTransform(t, chartDeployment("user-scheduler")), undefined);
    });

    it("a new token changes the hub's and the proxy's pods and nothing else; the same token and values change nothing", () => {
        const other = "fedcba9876543210".repeat(4);
        const render = (token: string) => {
            const t = stableChecksums(devValues, "4.4.0", proxyTokenFingerprint(token));
            return Object.fromEntries(
                (["hub", "proxy", "user-scheduler"] as const).map((n) => [n, applyTransform(t, chartDeployment(n))?.props ?? chartDeployment(n)]),
            );
        };
        assert.deepEqual(render(TOKEN), render(TOKEN));
        const [a, b] = [render(TOKEN), render(other)];
        assert.notDeepEqual(a.hub, b.hub);
        assert.notDeepEqual(a.proxy, b.proxy);
        assert.deepEqual(a["user-scheduler"], b["user-scheduler"]);
        // The hub's values digest does not move with the token: its other annotations are equal.
        assert.equal(get(a.hub, "spec.template.metadata.annotations.checksum/secret"), get(b.hub, "spec.template.metadata.annotations.checksum/secret"));
    });

    it("the fingerprint may be an Output (the token's, unknown at a new stack's first preview): the annotation carries it", async () => {
        const t = stableChecksums(devValues, "4.4.0", pulumi.output(TOKEN).apply(proxyTokenFingerprint));
        const annotations = get(applyTransform(t, chartDeployment("proxy"))?.props, "spec.template.metadata.annotations") as Record<string, unknown>;
        assert.ok(pulumi.Output.isInstance(annotations["checksum/auth-token"]));
        assert.equal(await promiseOf(annotations["checksum/auth-token"] as pulumi.Output<string>), proxyTokenFingerprint(TOKEN));
    });

    it("no annotation the transforms set is a constant, and none holds the token", () => {
        const both = (token: string) => {
            const props = applyTransform(proxyTokenFromHubSecret(), chartDeployment("proxy"))!.props;
            return JSON.stringify(applyTransform(stableChecksums(devValues, "4.4.0", proxyTokenFingerprint(token)), props)?.props);
        };
        assert.notEqual(both(TOKEN), both("a".repeat(64)));
        assert.ok(!both(TOKEN).includes(TOKEN));
    });
});

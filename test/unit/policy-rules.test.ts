// The policy pack's rules, one by one: for each, an object that breaks it (and the message the
// user gets) and one that passes.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import Ajv from "ajv";
import * as YAML from "yaml";

import { PRIVILEGED_REASON } from "../../lib/pods";
import {
    backendsClusterIpOnly,
    backendsNetworkPolicies,
    chartNetworkPolicies,
    containerLimits,
    externalServicesAllowed,
    imageProblem,
    imagesPinned,
    namespacesPodSecurity,
    noSecretEnvLiterals,
    noSecretsInConfigMaps,
    podsNonRoot,
    renderedChartNetworkPolicies,
    RESOURCE_POLICIES,
    secretLikeKey,
    selectorMatches,
    STACK_POLICIES,
} from "../../policy/rules";
import { ROOT } from "../support/helpers";
import { loadPackConfig, packViolations, resourceViolations, stackViolations, Subject } from "../support/policy-harness";

type Obj = Record<string, unknown>;

const NS = "jupyterhub-dev";
const LIMITS = { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "50m", memory: "64Mi" } };

function container(extra: Obj = {}): Obj {
    return { name: "app", image: "example.org/app:1.2.3", resources: LIMITS, ...extra };
}

/** A Deployment whose pod runs as uid 1001 unless told otherwise. */
function deployment(spec: Obj = {}, annotations?: Record<string, string>, labels: Record<string, string> = { app: "x" }, name = "app"): Subject {
    return {
        type: "kubernetes:apps/v1:Deployment",
        name,
        props: {
            metadata: { name, namespace: NS },
            spec: {
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels, ...(annotations ? { annotations } : {}) },
                    spec: { securityContext: { runAsNonRoot: true, runAsUser: 1001 }, containers: [container()], ...spec },
                },
            },
        },
    };
}

function service(name: string, labels: Record<string, string>, spec: Obj = {}): Subject {
    return {
        type: "kubernetes:core/v1:Service",
        name,
        props: { metadata: { name, namespace: NS, labels }, spec: { type: "ClusterIP", selector: labels, ports: [{ port: 1 }], ...spec } },
    };
}

function chart(values: Obj, type = "kubernetes:helm.sh/v4:Chart", chartName = "jupyterhub"): Subject {
    return { type, name: "jupyterhub", props: { chart: chartName, namespace: NS, values } };
}

function configMap(data: Record<string, string>, binaryData?: Record<string, string>): Subject {
    return {
        type: "kubernetes:core/v1:ConfigMap",
        name: "cm",
        props: { metadata: { name: "settings", namespace: NS }, data, ...(binaryData ? { binaryData } : {}) },
    };
}

const MYSQL_LABELS = { "app.kubernetes.io/name": "mysql", "app.kubernetes.io/part-of": "jupyterhub-platform" };

function networkPolicy(podSelector: Obj, extra: Obj = {}, namespace = NS): Subject {
    return {
        type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        name: "np",
        props: { metadata: { name: "np", namespace }, spec: { podSelector, policyTypes: ["Ingress"], ingress: [], ...extra } },
    };
}

const PEM_KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBx\n-----END EC PRIVATE KEY-----\n";
const PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmg\n-----END CERTIFICATE-----\n";

describe("policy: container-resource-limits", () => {
    it("reports a container and an init container without limits, naming the object and the fix", async () => {
        const d = deployment({
            initContainers: [container({ name: "init", resources: { limits: { cpu: "100m" } } })],
            containers: [container({ name: "web", resources: {} })],
        });
        assert.deepEqual(await resourceViolations(containerLimits, d), [
            `Deployment "${NS}/app": init container "init" has no memory limit; set resources.limits.memory so that one pod cannot starve the node`,
            `Deployment "${NS}/app": container "web" has no cpu and memory limit; set resources.limits.cpu and resources.limits.memory so that one pod cannot starve the node`,
        ]);
    });

    it("checks every workload kind, a CronJob's nested template included", async () => {
        const pod = { spec: { containers: [container({ resources: undefined })] } };
        for (const [type, props] of [
            ["kubernetes:core/v1:Pod", { metadata: { name: "p" }, ...pod }],
            ["kubernetes:apps/v1:StatefulSet", { metadata: { name: "p" }, spec: { template: pod } }],
            ["kubernetes:apps/v1:DaemonSet", { metadata: { name: "p" }, spec: { template: pod } }],
            ["kubernetes:apps/v1:ReplicaSet", { metadata: { name: "p" }, spec: { template: pod } }],
            ["kubernetes:batch/v1:Job", { metadata: { name: "p" }, spec: { template: pod } }],
            ["kubernetes:batch/v1:CronJob", { metadata: { name: "p" }, spec: { jobTemplate: { spec: { template: pod } } } }],
        ] as const) {
            const kind = type.split(":").pop()!;
            assert.deepEqual(
                await resourceViolations(containerLimits, { type, name: "p", props }),
                [
                    `${kind} "p": container "app" has no cpu and memory limit; set resources.limits.cpu and resources.limits.memory so that one pod cannot starve the node`,
                ],
                type,
            );
        }
    });

    it("passes containers with both limits, and ignores objects without pods", async () => {
        assert.deepEqual(await resourceViolations(containerLimits, deployment({ initContainers: [container({ name: "init" })] })), []);
        assert.deepEqual(await resourceViolations(containerLimits, service("s", {})), []);
    });
});

describe("policy: images-pinned", () => {
    it("reports :latest and untagged images", async () => {
        const d = deployment({
            initContainers: [container({ name: "init", image: "busybox" })],
            containers: [
                container({ name: "web", image: "registry.example.org:5000/team/web:latest" }),
                container({ name: "side", image: "registry.example.org:5000/side" }),
            ],
        });
        assert.deepEqual(await resourceViolations(imagesPinned, d), [
            `Deployment "${NS}/app": init container "init" image "busybox" has no tag, which means :latest; pin a version tag (e.g. "mysql:8.4.7") or a digest (@sha256:...)`,
            `Deployment "${NS}/app": container "web" image "registry.example.org:5000/team/web:latest" uses the tag "latest", which changes under you; pin a version tag (e.g. "mysql:8.4.7") or a digest (@sha256:...)`,
            `Deployment "${NS}/app": container "side" image "registry.example.org:5000/side" has no tag, which means :latest; pin a version tag (e.g. "mysql:8.4.7") or a digest (@sha256:...)`,
        ]);
    });

    it("passes version tags and digests", async () => {
        const digest = `quay.io/jupyterhub/k8s-hub@sha256:${"a".repeat(64)}`;
        const d = deployment({
            containers: [container({ image: "mysql:8.4.7" }), container({ name: "b", image: digest }), container({ name: "c", image: "localhost:5000/x:1" })],
        });
        assert.deepEqual(await resourceViolations(imagesPinned, d), []);
        assert.equal(imageProblem("mysql:8.4.7@sha256:" + "0".repeat(64)), undefined);
    });
});

describe("policy: pods-run-as-non-root", () => {
    it("reports a pod without runAsNonRoot or a non-zero runAsUser, and runAsUser 0 despite runAsNonRoot", async () => {
        const d = deployment({
            securityContext: {},
            containers: [container({ name: "a" }), container({ name: "b", securityContext: { runAsNonRoot: true, runAsUser: 0 } })],
        });
        const fix = `or annotate the pod template with ${PRIVILEGED_REASON}: "<why>"`;
        assert.deepEqual(await resourceViolations(podsNonRoot, d), [
            `Deployment "${NS}/app": container "a" may run as root; set securityContext.runAsNonRoot: true (pod or container) or runAsUser > 0, ${fix}`,
            `Deployment "${NS}/app": container "b" may run as root; set securityContext.runAsNonRoot: true (pod or container) or runAsUser > 0, ${fix}`,
        ]);
    });

    it("reports privileged: true without the annotation, and an empty reason", async () => {
        const privileged = { containers: [container({ securityContext: { privileged: true } })] };
        assert.deepEqual(await resourceViolations(podsNonRoot, deployment(privileged)), [
            `Deployment "${NS}/app": container "app" is privileged without a reason; drop securityContext.privileged, or annotate the pod template with ${PRIVILEGED_REASON}: "<why>"`,
        ]);
        assert.deepEqual(await resourceViolations(podsNonRoot, deployment({ ...privileged, securityContext: {} }, { [PRIVILEGED_REASON]: "  " })), [
            `Deployment "${NS}/app": annotation ${PRIVILEGED_REASON} is empty; state why the pod must run as root or privileged, or remove it`,
        ]);
    });

    it("passes non-root pods (pod- or container-level) and annotated privileged pods", async () => {
        assert.deepEqual(await resourceViolations(podsNonRoot, deployment()), []);
        const perContainer = deployment({ securityContext: undefined, containers: [container({ securityContext: { runAsUser: 999 } })] });
        assert.deepEqual(await resourceViolations(podsNonRoot, perContainer), []);
        const annotated = deployment(
            { securityContext: {}, containers: [container({ securityContext: { privileged: true } })] },
            { [PRIVILEGED_REASON]: "kernel NFS server" },
        );
        assert.deepEqual(await resourceViolations(podsNonRoot, annotated), []);
    });

    it("reads the annotation from the pod template, not from the workload's own metadata", async () => {
        const d = deployment({ securityContext: {} });
        (d.props.metadata as Obj).annotations = { [PRIVILEGED_REASON]: "on the wrong object" };
        assert.equal((await resourceViolations(podsNonRoot, d)).length, 1);
    });
});

describe("policy: jupyterhub-network-policies", () => {
    it("reports each NetworkPolicy switched off in the chart values (v4 Chart and v3 Release)", async () => {
        const values = {
            hub: { networkPolicy: { enabled: false } },
            singleuser: { networkPolicy: { enabled: false } },
            proxy: { chp: { networkPolicy: { enabled: false } } },
        };
        const expected = ["hub", "singleuser", "proxy.chp"].map(
            (p) =>
                `Chart "jupyterhub": values.${p}.networkPolicy.enabled is false, which removes the NetworkPolicy that confines those pods; ` +
                `remove the setting (the chart's default is true) and open what is needed with the chart's networkPolicy.ingress/egress rules`,
        );
        assert.deepEqual(await resourceViolations(chartNetworkPolicies, chart(values)), expected);
        assert.deepEqual(
            await resourceViolations(chartNetworkPolicies, chart(values, "kubernetes:helm.sh/v3:Release", "/charts/jupyterhub-4.4.0.tgz")),
            expected,
        );
    });

    it("passes values that leave the policies on, and other charts", async () => {
        assert.deepEqual(await resourceViolations(chartNetworkPolicies, chart({ hub: { networkPolicy: { enabled: true } }, singleuser: {} })), []);
        assert.deepEqual(await resourceViolations(chartNetworkPolicies, chart({ hub: { networkPolicy: { enabled: false } } }, undefined, "ingress-nginx")), []);
    });
});

describe("policy: mysql-ldap-network-policies (stack)", () => {
    const mysql = service("mysql", MYSQL_LABELS);
    const ldap = service("openldap", { "app.kubernetes.io/name": "openldap" });

    it("reports a MySQL or LDAP Service whose pods no ingress NetworkPolicy of its namespace selects", async () => {
        const egressOnly = networkPolicy({ matchLabels: MYSQL_LABELS }, { policyTypes: ["Egress"] });
        const elsewhere = networkPolicy({ matchLabels: { "app.kubernetes.io/name": "openldap" } }, {}, "other");
        const found = await stackViolations(backendsNetworkPolicies, [mysql, ldap, egressOnly, elsewhere]);
        assert.deepEqual(
            found.map((v) => v.message),
            [
                `Service "${NS}/mysql" (mysql) has no NetworkPolicy in namespace "${NS}" selecting its pods ${JSON.stringify(MYSQL_LABELS)}; add one with policyTypes [Ingress] that admits only the hub (podSelector app=jupyterhub, component=hub)`,
                `Service "${NS}/openldap" (openldap) has no NetworkPolicy in namespace "${NS}" selecting its pods {"app.kubernetes.io/name":"openldap"}; add one with policyTypes [Ingress] that admits only the hub (podSelector app=jupyterhub, component=hub)`,
            ],
        );
        assert.equal(found[0].urn, "urn:pulumi:test::jupyterhub::kubernetes:core/v1:Service::mysql");
    });

    it("passes when a policy selects the pods by labels, by expressions or all pods of the namespace", async () => {
        assert.deepEqual(await stackViolations(backendsNetworkPolicies, [mysql, networkPolicy({ matchLabels: { "app.kubernetes.io/name": "mysql" } })]), []);
        const byExpression = networkPolicy({ matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["mysql", "openldap"] }] });
        assert.deepEqual(await stackViolations(backendsNetworkPolicies, [mysql, ldap, byExpression]), []);
        assert.deepEqual(await stackViolations(backendsNetworkPolicies, [mysql, ldap, networkPolicy({}, { policyTypes: undefined })]), []);
        // Other Services need none.
        assert.deepEqual(await stackViolations(backendsNetworkPolicies, [service("web", { app: "web" })]), []);
    });

    it("rendered chart pods: the hub, the proxy and the user pods need ingress NetworkPolicies", async () => {
        const pod = (name: string, component: string) => deployment({}, undefined, { app: "jupyterhub", component }, name);
        const hub = pod("hub", "hub");
        const proxy = pod("proxy", "proxy");
        const np = (component: string) => networkPolicy({ matchLabels: { app: "jupyterhub", component } });
        const none = await stackViolations(renderedChartNetworkPolicies, [hub, proxy]);
        assert.deepEqual(
            none.map((v) => v.message),
            [
                `Deployment "${NS}/hub" (hub) has no ingress NetworkPolicy selecting its pods; keep hub.networkPolicy.enabled true`,
                `no ingress NetworkPolicy in namespace "${NS}" selects the user pods {"app":"jupyterhub","component":"singleuser-server"}; keep singleuser.networkPolicy.enabled true`,
                `Deployment "${NS}/proxy" (proxy) has no ingress NetworkPolicy selecting its pods; keep proxy.chp.networkPolicy.enabled true`,
            ],
        );
        assert.deepEqual(await stackViolations(renderedChartNetworkPolicies, [hub, proxy, np("hub"), np("proxy"), np("singleuser-server")]), []);
        // With a release label on the hub (as z2jh renders it), the user pods carry it too, and
        // the chart's user-pod policy selects it.
        const released = (component: string) =>
            deployment({}, undefined, { app: "jupyterhub", component, release: "r" }, component === "hub" ? "hub" : "proxy");
        const npr = (component: string) => networkPolicy({ matchLabels: { app: "jupyterhub", component, release: "r" } });
        assert.deepEqual(
            await stackViolations(renderedChartNetworkPolicies, [released("hub"), released("proxy"), npr("hub"), npr("proxy"), npr("singleuser-server")]),
            [],
        );
        const otherRelease = networkPolicy({ matchLabels: { app: "jupyterhub", component: "singleuser-server", release: "other" } });
        assert.match(
            (await stackViolations(renderedChartNetworkPolicies, [released("hub"), npr("hub"), otherRelease]))[0].message,
            /selects the user pods \{"app":"jupyterhub","component":"singleuser-server","release":"r"\}/,
        );
        // Without rendered chart objects (mocks, helm.v3.Release) there is nothing to judge.
        assert.deepEqual(await stackViolations(renderedChartNetworkPolicies, [deployment()]), []);
    });

    it("matches selectors as Kubernetes does", () => {
        const labels = { a: "1", b: "2" };
        assert.ok(selectorMatches({ matchLabels: { a: "1" }, matchExpressions: [{ key: "c", operator: "DoesNotExist" }] }, labels));
        assert.ok(!selectorMatches({ matchLabels: { a: "1", c: "3" } }, labels));
        assert.ok(!selectorMatches({ matchExpressions: [{ key: "b", operator: "NotIn", values: ["2"] }] }, labels));
        assert.ok(selectorMatches({ matchExpressions: [{ key: "b", operator: "Exists" }] }, labels));
    });
});

describe("policy: namespaces-pod-security (stack)", () => {
    const namespace = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): Subject => ({
        type: "kubernetes:core/v1:Namespace",
        name,
        props: { metadata: { name, labels, annotations } },
    });
    const enforce = (level: string) => ({ "pod-security.kubernetes.io/enforce": level });
    const reason = { [PRIVILEGED_REASON]: "the kernel NFS server" };
    const inNs = (s: Subject, ns: string): Subject => ({ ...s, props: { ...s.props, metadata: { ...(s.props.metadata as Obj), namespace: ns } } });

    it("reports a namespace without an enforce label, and one with a level that does not exist", async () => {
        const found = await stackViolations(namespacesPodSecurity, [namespace(NS, {}), namespace("other", enforce("strict"))]);
        assert.deepEqual(
            found.map((v) => v.message),
            [
                `Namespace "${NS}" enforces no Pod Security level (label pod-security.kubernetes.io/enforce: null); label it restricted, or baseline where users' servers start as root, so that no pod created there may be privileged`,
                `Namespace "other" enforces no Pod Security level (label pod-security.kubernetes.io/enforce: "strict"); label it restricted, or baseline where users' servers start as root, so that no pod created there may be privileged`,
            ],
        );
    });

    it("reports a privileged namespace without a reason, and the hub's chart and unannotated pods in a privileged one", async () => {
        const storage = `${NS}-storage`;
        const found = await stackViolations(namespacesPodSecurity, [
            namespace("bare", enforce("privileged")),
            namespace(storage, enforce("privileged"), reason),
            inNs(deployment(), storage),
            inNs(deployment({}, reason, { app: "nfs" }, "nfs-server"), storage),
            { ...chart({}), props: { chart: "jupyterhub", namespace: storage, values: {} } },
        ]);
        assert.deepEqual(
            found.map((v) => v.message),
            [
                `Namespace "bare" enforces privileged without a reason; annotate it with ${PRIVILEGED_REASON}: "<why>", or enforce baseline or restricted`,
                `Deployment "${storage}/app" runs in the privileged namespace "${storage}" without needing it; move it to a namespace that enforces baseline or restricted, or annotate its pod template with ${PRIVILEGED_REASON}: "<why>"`,
                `Chart "jupyterhub" installs JupyterHub into the privileged namespace "${storage}", where its hub could start privileged pods; install it into a namespace that enforces baseline or restricted`,
            ],
        );
    });

    it("passes the hub's namespace at restricted or baseline and the storage one at privileged with its annotated pods", async () => {
        const storage = `${NS}-storage`;
        const ok = [
            namespace(NS, enforce("restricted")),
            namespace("sudo", enforce("baseline")),
            namespace(storage, enforce("privileged"), reason),
            deployment(),
            inNs(deployment({}, reason, { app: "nfs" }, "nfs-server"), storage),
            chart({}),
        ];
        assert.deepEqual(await stackViolations(namespacesPodSecurity, ok), []);
    });
});

describe("policy: no-secrets-in-configmaps", () => {
    it("reports PEM private keys (data and binaryData) and values of credential-like keys", async () => {
        const cm = configMap(
            { "server.pem": PEM_KEY, "hub-password": "hunter2", apiKey: "abc", "sync.sh": "echo ok" },
            { "tls.bin": Buffer.from(PEM_KEY).toString("base64") },
        );
        const fix =
            "ConfigMaps are readable by anyone who may read the namespace's configuration: move it to a Secret (stringData) and mount or reference that instead";
        assert.deepEqual(await resourceViolations(noSecretsInConfigMaps, cm), [
            `ConfigMap "${NS}/settings": key "server.pem" holds a PEM private key; ${fix}`,
            `ConfigMap "${NS}/settings": key "hub-password" looks like a credential; ${fix}`,
            `ConfigMap "${NS}/settings": key "apiKey" looks like a credential; ${fix}`,
            `ConfigMap "${NS}/settings": key "tls.bin" holds a PEM private key; ${fix}`,
        ]);
    });

    it("z2jh's hub ConfigMap names its Secrets under keys like hub-existing-secret: names pass, contents do not", async () => {
        const table = (data: Record<string, string>): Subject => ({
            type: "kubernetes:core/v1:ConfigMap",
            name: "hub",
            props: { metadata: { name: "hub", namespace: NS, labels: { app: "jupyterhub", component: "hub" } }, data },
        });
        assert.deepEqual(
            await resourceViolations(noSecretsInConfigMaps, table({ "hub-existing-secret": "hub-secrets", "image-pull-secret": "image-pull-secret" })),
            [],
        );
        assert.equal((await resourceViolations(noSecretsInConfigMaps, table({ "hub-existing-secret": "s3cr3t/Value+" }))).length, 1);
        assert.equal((await resourceViolations(noSecretsInConfigMaps, table({ "tls.key": PEM_KEY }))).length, 1);
        // Elsewhere a name-like value under a credential-like key is still reported.
        assert.equal((await resourceViolations(noSecretsInConfigMaps, configMap({ "api-token": "abcdef123" }))).length, 1);
    });

    it("passes public certificates under any key, and ordinary settings", async () => {
        assert.deepEqual(
            await resourceViolations(
                noSecretsInConfigMaps,
                configMap({ "ca.crt": PEM_CERT, "signing-key.pub": PEM_CERT, keycloakUrl: "https://x", "sync.sh": "ldapwhoami -y /bootstrap/admin-password" }),
            ),
            [],
        );
        assert.ok(secretLikeKey("MYSQL_ROOT_PASSWORD") && secretLikeKey("tls.key") && secretLikeKey("cookieSecret") && !secretLikeKey("monkey-business"));
    });
});

describe("policy: no-secret-env-literals", () => {
    it("reports literal values of credential-named variables", async () => {
        const d = deployment({
            containers: [
                container({
                    env: [
                        { name: "MYSQL_PASSWORD", value: "hunter2" },
                        { name: "JUPYTERHUB_API_TOKEN", value: "t" },
                        { name: "github_api_key", value: "k" },
                    ],
                }),
            ],
        });
        const expected = ["MYSQL_PASSWORD", "JUPYTERHUB_API_TOKEN", "github_api_key"].map(
            (n) =>
                `Deployment "${NS}/app": container "app" sets env ${n} to a literal value, which lands in the object's spec and the state; ` +
                `use valueFrom.secretKeyRef, or mount the Secret and set ${n}_FILE to the file's path`,
        );
        assert.deepEqual(await resourceViolations(noSecretEnvLiterals, d), expected);
    });

    it("passes secretKeyRef, _FILE variants and harmless names", async () => {
        const d = deployment({
            initContainers: [container({ name: "init", env: [{ name: "MYSQL_ROOT_PASSWORD_FILE", value: "/credentials/root-password" }] })],
            containers: [
                container({
                    env: [
                        { name: "MYSQL_PASSWORD", valueFrom: { secretKeyRef: { name: "mysql-credentials", key: "hub-password" } } },
                        { name: "LDAP_TLS_KEY_FILE", value: "/tls/tls.key" },
                        { name: "CSI_ENDPOINT", value: "unix:///csi/csi.sock" },
                    ],
                }),
            ],
        });
        assert.deepEqual(await resourceViolations(noSecretEnvLiterals, d), []);
    });
});

describe("policy: mysql-ldap-cluster-ip-only", () => {
    it("reports NodePort/LoadBalancer types and externalIPs on MySQL and LDAP Services", async () => {
        assert.deepEqual(await resourceViolations(backendsClusterIpOnly, service("mysql", MYSQL_LABELS, { type: "NodePort" })), [
            `Service "${NS}/mysql" (mysql) has type NodePort; the hub database and directory must stay inside the cluster: use type ClusterIP`,
        ]);
        const ldap = service("openldap", { "app.kubernetes.io/name": "openldap" }, { type: "LoadBalancer", externalIPs: ["192.0.2.10"] });
        assert.deepEqual(await resourceViolations(backendsClusterIpOnly, ldap), [
            `Service "${NS}/openldap" (openldap) has type LoadBalancer; the hub database and directory must stay inside the cluster: use type ClusterIP`,
            `Service "${NS}/openldap" (openldap) has externalIPs ["192.0.2.10"]; remove spec.externalIPs`,
        ]);
    });

    it("passes ClusterIP (explicit or default) and leaves other Services to the exposure rule", async () => {
        assert.deepEqual(await resourceViolations(backendsClusterIpOnly, service("mysql", MYSQL_LABELS)), []);
        assert.deepEqual(await resourceViolations(backendsClusterIpOnly, service("mysql", MYSQL_LABELS, { type: undefined })), []);
        assert.deepEqual(await resourceViolations(backendsClusterIpOnly, service("web", { app: "web" }, { type: "NodePort" })), []);
    });
});

describe("policy: external-services-allowed", () => {
    const proxyPublic = service("proxy-public", { app: "jupyterhub", component: "proxy-public" }, { type: "NodePort" });

    it("reports a NodePort/LoadBalancer Service the stack's config does not list (the prod config allows none)", async () => {
        const fix = `allow it for this stack with --policy-pack-config (allowedExternalServices: ["proxy-public"]) or make it ClusterIP and reach it through an ingress`;
        assert.deepEqual(await resourceViolations(externalServicesAllowed, proxyPublic, loadPackConfig("prod")), [
            `Service "${NS}/proxy-public" is NodePort, which this stack does not allow; ${fix}`,
        ]);
        // No config at all: the schema's default, nothing allowed.
        const lb = service("web", { app: "web" }, { type: "LoadBalancer" });
        assert.equal((await resourceViolations(externalServicesAllowed, lb)).length, 1);
        assert.deepEqual(
            await resourceViolations(externalServicesAllowed, chart({ singleuser: {}, proxy: { service: { type: "LoadBalancer" } } }), loadPackConfig("prod")),
            [`Chart "jupyterhub": values.proxy.service.type LoadBalancer exposes Service "proxy-public", which this stack does not allow; ${fix}`],
        );
    });

    it("passes what the dev config allows (proxy-public), and ClusterIP Services everywhere", async () => {
        assert.deepEqual(await resourceViolations(externalServicesAllowed, proxyPublic, loadPackConfig("dev")), []);
        assert.deepEqual(
            await resourceViolations(externalServicesAllowed, chart({ singleuser: {}, proxy: { service: { type: "NodePort" } } }), loadPackConfig("dev")),
            [],
        );
        assert.deepEqual(await resourceViolations(externalServicesAllowed, service("hub", { app: "jupyterhub" }), loadPackConfig("prod")), []);
    });
});

describe("policy pack", () => {
    it("has unique, mandatory policies, and every rule above is in it", () => {
        const all = [...RESOURCE_POLICIES, ...STACK_POLICIES];
        const names = all.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
        assert.ok(all.every((p) => p.enforcementLevel === "mandatory"));
        assert.deepEqual(names.sort(), [
            "container-resource-limits",
            "containers-least-privilege",
            "external-services-allowed",
            "images-pinned",
            "jupyterhub-network-policies",
            "jupyterhub-rendered-network-policies",
            "mysql-ldap-cluster-ip-only",
            "mysql-ldap-network-policies",
            "namespaces-pod-security",
            "no-secret-env-literals",
            "no-secrets-in-configmaps",
            "pods-no-idle-api-token",
            "pods-run-as-non-root",
            "singleuser-root-start",
            "workloads-network-policies",
        ]);
        const index = fs.readFileSync(path.join(ROOT, "policy", "index.ts"), "utf8");
        assert.match(index, /policies: \[\.\.\.RESOURCE_POLICIES, \.\.\.STACK_POLICIES\]/);
        const manifest = YAML.parse(fs.readFileSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"), "utf8")) as { runtime: string };
        assert.equal(manifest.runtime, "nodejs");
    });

    it("the per-stack config files name real policies and match their schemas, as the engine requires", () => {
        const ajv = new Ajv({ strict: false });
        const all = new Map([...RESOURCE_POLICIES, ...STACK_POLICIES].map((p) => [p.name, p]));
        for (const stack of ["dev", "prod"]) {
            for (const [name, settings] of Object.entries(loadPackConfig(stack))) {
                const policy = all.get(name);
                assert.ok(policy, `${stack}: no policy named ${name}`);
                const schema = { type: "object", properties: policy.configSchema?.properties ?? {}, additionalProperties: false };
                assert.ok(ajv.validate(schema, settings), `${stack}: ${name}: ${ajv.errorsText()}`);
            }
        }
        assert.deepEqual(loadPackConfig("dev")["external-services-allowed"], { allowedExternalServices: ["proxy-public"] });
        assert.deepEqual(loadPackConfig("prod")["external-services-allowed"], { allowedExternalServices: [] });
        assert.deepEqual(loadPackConfig("dev")["singleuser-root-start"], { allowGrantSudo: true });
        assert.deepEqual(loadPackConfig("prod")["singleuser-root-start"], { allowGrantSudo: false });
    });

    it("reports each problem of a bad object under its own policy", async () => {
        const bad = deployment({ securityContext: {}, containers: [container({ image: "busybox", resources: {} })] });
        const found = await packViolations([bad], loadPackConfig("dev"));
        assert.deepEqual([...new Set(found.map((v) => v.policy))].sort(), [
            "container-resource-limits",
            "containers-least-privilege",
            "images-pinned",
            "pods-no-idle-api-token",
            "pods-run-as-non-root",
        ]);
    });
});

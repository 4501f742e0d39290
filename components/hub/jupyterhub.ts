// The JupyterHub component: the hub's Secrets and the z2jh chart, pinned and rendered by
// helm.v4.Chart, with the values of values.ts and the transforms of transforms.ts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

import { type IngressConfig } from "../../config";
import { ConfigError } from "../../lib/problems";
import { dependsOnList, labels } from "../common";
import { OWN_SECRETS_ANNOTATION } from "../own-secret";
import { proxyTokenFingerprint } from "../secrets";
import { chartSource } from "./chart";
import { dockerConfigJson, HUB_SECRET, hubSecretData, REGISTRY_SECRET } from "./secrets";
import { proxyTokenFromHubSecret, stableChecksums } from "./transforms";
import { type HubSections, hubValues, type HubWiring, type Values } from "./values";

/** The URL users open: the ingress host, else the proxy Service inside the cluster. */
export function hubUrl(ingress: IngressConfig, namespace: string): string {
    return ingress.enabled ? `https://${ingress.host}/` : `http://proxy-public.${namespace}.svc.cluster.local/`;
}

/** Name of the kubernetes.io/tls Secret for the ingress: the given one, or the program's own. */
export function ingressTlsSecretName(ingress: IngressConfig): string | undefined {
    return ingress.enabled ? (ingress.tlsSecretName ?? "jupyterhub-tls") : undefined;
}

/** What the component takes: the values' wiring that is the same here (HubWiring), the rest as outputs. */
export interface JupyterHubArgs extends Pick<HubWiring, "dbPoolRecycle" | "homeStorageClass" | "shared" | "groupShares" | "ldap" | "directoryGroups"> {
    namespace: string;
    /** The config sections of the hub. */
    config: HubSections;
    /** Create the chart's objects without waiting for readiness (config skipAwait). */
    skipAwait: boolean;
    /** Generated hub secrets. */
    secrets: { cookieSecret: pulumi.Output<string>; cryptKeeperKey: pulumi.Output<string>; proxyToken: pulumi.Output<string> };
    /** SQLAlchemy URL of the hub database, password included. Secret. */
    dbUrl: pulumi.Output<string>;
    /** The same URL without its password, for the chart values. */
    dbUrlWithoutPassword: string;
    /** PEM CA of the directory, mounted into the hub. */
    ldapCaCert?: pulumi.Input<string>;
    /** Search user's password for an external directory with lookup_dn (config key ldapBindPassword). */
    ldapSearchPassword?: pulumi.Output<string>;
    /** Key of a given ingress certificate (config ingress.tlsCert). Default: self-signed. */
    ingressTlsKey?: pulumi.Output<string>;
    /** Password of singleuser.registry (config key registryPassword); required with a registry. Secret. */
    registryPassword?: pulumi.Output<string>;
}

/**
 * The Zero to JupyterHub chart, pinned, rendered by helm.v4.Chart so that every object is its own
 * resource in previews. Its values are plain and known at preview (hubValues); the secrets go to
 * HUB_SECRET. The release is named after the namespace, so that the chart's cluster-wide objects
 * (the user scheduler's ClusterRole, the priority classes) are the stack's own.
 * The namespace, storage, database and directory come first: pass them as dependsOn.
 */
export class JupyterHub extends pulumi.ComponentResource {
    public readonly url: string;
    /** The chart values. Not secret. */
    public readonly values: Values;
    /** The self-signed ingress certificate, when one was generated. */
    public readonly ingressCertificate?: pulumi.Output<string>;

    constructor(name: string, args: JupyterHubArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:JupyterHub", name, {}, opts);
        const cfg = args.config;
        const registry = cfg.singleuser.registry;
        if (registry && !args.registryPassword) {
            throw new ConfigError([
                `jupyterhub:registryPassword is required with jupyterhub:singleuser.registry: pulumi config set --secret registryPassword <password>`,
            ]);
        }
        // Every object waits for those made before it: each goes into `before` as it is made.
        const before = dependsOnList(opts);
        const ldapCaConfigMap = this.ldapCa(name, args, before);
        const tlsName = ingressTlsSecretName(cfg.ingress);
        const ingressCertificate = this.ingressTls(name, args, tlsName, before);
        if (ingressCertificate) this.ingressCertificate = ingressCertificate;
        if (registry && args.registryPassword) this.registrySecret(name, args.namespace, registry, args.registryPassword, before);
        this.hubSecret(name, args, before);

        this.values = hubValues(cfg, {
            dbUrl: args.dbUrlWithoutPassword,
            dbPoolRecycle: args.dbPoolRecycle,
            homeStorageClass: args.homeStorageClass,
            shared: args.shared,
            groupShares: args.groupShares,
            ldap: args.ldap,
            directoryGroups: args.directoryGroups,
            ldapCaConfigMap,
            ingressTlsSecret: tlsName,
        });
        this.chart(name, args, before);

        this.url = hubUrl(cfg.ingress, args.namespace);
        this.registerOutputs({ url: this.url });
    }

    /** The directory's CA in a ConfigMap the hub mounts; returns its name, or undefined without a CA. */
    private ldapCa(name: string, args: JupyterHubArgs, before: pulumi.Input<pulumi.Resource>[]): string | undefined {
        if (!args.ldapCaCert) return undefined;
        const cm = new k8s.core.v1.ConfigMap(
            `${name}-ldap-ca`,
            // A CA certificate is public; the hub needs it to verify the directory.
            { metadata: { name: "jupyterhub-ldap-ca", namespace: args.namespace, labels: labels("hub") }, data: { "ca.crt": args.ldapCaCert } },
            { parent: this, dependsOn: before },
        );
        before.push(cm);
        return "jupyterhub-ldap-ca";
    }

    /**
     * The ingress's kubernetes.io/tls Secret, unless ingress.tlsSecretName names one: the given
     * certificate, else a self-signed one, whose certificate it returns.
     */
    private ingressTls(
        name: string,
        args: JupyterHubArgs,
        tlsName: string | undefined,
        before: pulumi.Input<pulumi.Resource>[],
    ): pulumi.Output<string> | undefined {
        const ingress = args.config.ingress;
        if (!tlsName || !ingress.enabled || ingress.tlsSecretName) return undefined;
        const parent = { parent: this };
        let cert: pulumi.Input<string>;
        let key: pulumi.Input<string>;
        let selfSigned: pulumi.Output<string> | undefined;
        if (ingress.tlsCert && args.ingressTlsKey) {
            cert = ingress.tlsCert;
            key = args.ingressTlsKey;
        } else {
            // No certificate given: a self-signed one, so the hub is never served in clear text.
            const pk = new tls.PrivateKey(`${name}-ingress`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
            const self = new tls.SelfSignedCert(
                `${name}-ingress`,
                {
                    privateKeyPem: pk.privateKeyPem,
                    subject: { commonName: ingress.host },
                    dnsNames: [ingress.host],
                    validityPeriodHours: 24 * 365,
                    earlyRenewalHours: 24 * 30,
                    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                },
                parent,
            );
            cert = self.certPem;
            key = pk.privateKeyPem;
            selfSigned = self.certPem;
        }
        before.push(
            new k8s.core.v1.Secret(
                `${name}-ingress-tls`,
                {
                    metadata: { name: tlsName, namespace: args.namespace, labels: labels("hub") },
                    type: "kubernetes.io/tls",
                    stringData: { "tls.crt": cert, "tls.key": key },
                },
                { ...parent, dependsOn: before },
            ),
        );
        return selfSigned;
    }

    /** The pull credentials of singleuser.registry, secret from the config to the Secret; the values name it only. */
    private registrySecret(
        name: string,
        ns: string,
        registry: NonNullable<HubSections["singleuser"]["registry"]>,
        password: pulumi.Output<string>,
        before: pulumi.Input<pulumi.Resource>[],
    ): void {
        const dockerConfig = password.apply((password) => ({
            ".dockerconfigjson": dockerConfigJson(registry.server, registry.username, password),
        }));
        before.push(
            new k8s.core.v1.Secret(
                `${name}-registry`,
                {
                    metadata: { name: REGISTRY_SECRET, namespace: ns, labels: labels("hub") },
                    type: "kubernetes.io/dockerconfigjson",
                    stringData: pulumi.secret(dockerConfig),
                },
                { parent: this, dependsOn: before },
            ),
        );
    }

    /** HUB_SECRET: the hub's secrets, the proxy's token and the database URL (hubSecretData). */
    private hubSecret(name: string, args: JupyterHubArgs, before: pulumi.Input<pulumi.Resource>[]): void {
        const { cookieSecret, cryptKeeperKey, proxyToken } = args.secrets;
        const secretData = pulumi
            .all([cookieSecret, cryptKeeperKey, proxyToken, args.dbUrl, args.ldapSearchPassword])
            .apply(([cookieSecret, cryptKeeperKey, proxyToken, dbUrl, ldapSearchPassword]) =>
                hubSecretData({ cookieSecret, cryptKeeperKey, proxyToken, dbUrl, ldapSearchPassword }),
            );
        before.push(
            new k8s.core.v1.Secret(
                `${name}-secrets`,
                {
                    // The annotation: its generated values are the program's own, none is taken from it again (components/own-secret.ts).
                    metadata: { name: HUB_SECRET, namespace: args.namespace, labels: labels("hub"), annotations: { [OWN_SECRETS_ANNOTATION]: "true" } },
                    stringData: pulumi.secret(secretData),
                },
                { parent: this, dependsOn: before },
            ),
        );
    }

    /** The chart, with this.values, after everything in `before`. */
    private chart(name: string, args: JupyterHubArgs, before: pulumi.Input<pulumi.Resource>[]): void {
        const cfg = args.config;
        const ns = args.namespace;
        new k8s.helm.v4.Chart(
            `${name}`,
            {
                ...chartSource(cfg.hub, process.env),
                name: ns,
                namespace: ns,
                values: this.values,
                skipAwait: args.skipAwait,
            },
            {
                parent: this,
                dependsOn: before,
                // The token's fingerprint is no secret (proxyTokenFingerprint); the token reaches the pods through HUB_SECRET only.
                transforms: [
                    proxyTokenFromHubSecret(),
                    stableChecksums(this.values, cfg.hub.chartVersion, pulumi.unsecret(args.secrets.proxyToken.apply(proxyTokenFingerprint))),
                ],
            },
        );
    }
}

// The whole platform on one screen: config in, components wired together, outputs out.
import * as pulumi from "@pulumi/pulumi";

import { loadConfig, NS } from "./config";
import {
    assertLocalChart,
    ClusterAccess,
    HubSecrets,
    JupyterHub,
    ldapAuthSettings,
    MySql,
    NfsStorage,
    OpenLdap,
    SHARED_CLAIM,
    skipAwaitTransform,
} from "./components";

const cfg = loadConfig(pulumi.runtime.allConfig(), pulumi.getStack());
assertLocalChart(cfg.hub, process.env);
const secretConfig = new pulumi.Config(NS);
if (cfg.skipAwait) pulumi.runtime.registerResourceTransform(skipAwaitTransform);

// The namespace and the providers; every object below waits for them.
const cluster = new ClusterAccess("cluster", cfg);
const inCluster = { providers: [cluster.provider] };
const keep = cluster.keep(cfg.dataPolicy);
const ns = cfg.namespace;

const storage = new NfsStorage("nfs", { namespace: ns, config: cfg.nfs, dataPolicy: cfg.dataPolicy, keep }, inCluster);

const directory = cfg.ldap.mode === "in-cluster" ? new OpenLdap("openldap", { namespace: ns, config: cfg.ldap, keep }, inCluster) : undefined;

const database = new MySql(
    "mysql",
    {
        namespace: ns,
        config: cfg.mysql,
        keep,
        externalPassword: cfg.mysql.mode === "external" ? secretConfig.requireSecret("mysqlPassword") : undefined,
    },
    inCluster,
);

const hub = new JupyterHub(
    "jupyterhub",
    {
        config: cfg,
        secrets: new HubSecrets("hub-secrets"),
        dbUrl: database.hubDbUrl,
        dbUrlWithoutPassword: database.hubDbUrlWithoutPassword,
        homeStorageClass: cfg.nfs.homeStorageClass,
        sharedClaimName: storage.sharedClaimName ? SHARED_CLAIM : undefined,
        ldap: ldapAuthSettings(cfg.ldap, cfg.namespace),
        ldapCaCert: directory ? directory.caCert : cfg.ldap.caCert,
        ldapSearchPassword: cfg.secretsPresent.ldapBindPassword ? secretConfig.requireSecret("ldapBindPassword") : undefined,
        ingressTlsKey: cfg.secretsPresent.ingressTlsKey ? secretConfig.requireSecret("ingressTlsKey") : undefined,
        registryPassword: cfg.secretsPresent.registryPassword ? secretConfig.requireSecret("registryPassword") : undefined,
    },
    // The hub migrates its schema at start and authenticates against the directory.
    { ...inCluster, dependsOn: [storage, database, ...(directory ? [directory] : [])] },
);

export const hubUrl = hub.url;
/** Without an ingress, how to reach the hub from a workstation. */
export const hubPortForward = cfg.ingress.enabled
    ? undefined
    : `kubectl -n ${cfg.namespace} port-forward service/proxy-public 8080:80  # then open http://localhost:8080/`;
export const namespaceName = cluster.namespace.metadata.name;
export const homeStorageClass = storage.homeStorageClass;
export const sharedVolumeClaim = storage.sharedClaimName;
export const nfsServer = storage.server;
export const mysqlService = database.endpoint;
export const ldapBaseDn = cfg.ldap.mode === "none" ? undefined : cfg.ldap.baseDn;
export const ldapUsers = directory ? cfg.ldap.users.map((u) => directory.tree.userDn(u.uid)) : undefined;
export const ldapUserPasswords = directory?.userPasswords;
export const ldapCaCertificate = directory?.caCert;
export const dataPolicy = cfg.dataPolicy;

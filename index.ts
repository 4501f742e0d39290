// The whole platform on one screen: config in, components wired together, outputs out.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { loadConfig, NS } from "./config";
import { HubSecrets, JupyterHub, labels, ldapAuthSettings, MySql, NfsStorage, OpenLdap, skipAwaitTransform } from "./components";

const cfg = loadConfig(pulumi.runtime.allConfig(), pulumi.getStack());
const secretConfig = new pulumi.Config(NS);
if (cfg.skipAwait) pulumi.runtime.registerResourceTransform(skipAwaitTransform);

// With data retained, the namespace outlives `pulumi destroy`: deleting it would take the
// users' home claims (created by the hub, unknown to Pulumi) and the database volume with it.
const namespace = new k8s.core.v1.Namespace(
    "namespace",
    { metadata: { name: cfg.namespace, labels: labels("namespace") } },
    { retainOnDelete: cfg.dataPolicy === "retain" },
);
const ns = namespace.metadata.name;

const storage = new NfsStorage("nfs", { namespace: ns, config: cfg.nfs, dataPolicy: cfg.dataPolicy });

const directory = cfg.ldap.mode === "in-cluster" ? new OpenLdap("openldap", { namespace: ns, config: cfg.ldap, dataPolicy: cfg.dataPolicy }) : undefined;

const database = new MySql("mysql", {
    namespace: ns,
    config: cfg.mysql,
    dataPolicy: cfg.dataPolicy,
    externalPassword: cfg.mysql.mode === "external" ? secretConfig.requireSecret("mysqlPassword") : undefined,
});

const hub = new JupyterHub(
    "jupyterhub",
    {
        namespace: ns,
        config: cfg,
        secrets: new HubSecrets("hub-secrets"),
        dbUrl: database.hubDbUrl,
        homeStorageClass: storage.homeStorageClass,
        sharedClaimName: storage.sharedClaimName,
        ldap: ldapAuthSettings(cfg.ldap, cfg.namespace),
        ldapCaCert: directory ? directory.caCert : cfg.ldap.caCert,
        ldapSearchPassword: cfg.secretsPresent.ldapBindPassword ? secretConfig.requireSecret("ldapBindPassword") : undefined,
        ingressTlsKey: cfg.secretsPresent.ingressTlsKey ? secretConfig.requireSecret("ingressTlsKey") : undefined,
    },
    // The hub migrates its schema at start and authenticates against the directory.
    { dependsOn: [storage, database, ...(directory ? [directory] : [])] },
);

export const hubUrl = hub.url;
/** Without an ingress, how to reach the hub from a workstation. */
export const hubPortForward = cfg.ingress.enabled
    ? undefined
    : `kubectl -n ${cfg.namespace} port-forward service/proxy-public 8080:80  # then open http://localhost:8080/`;
export const namespaceName = ns;
export const homeStorageClass = storage.homeStorageClass;
export const sharedVolumeClaim = storage.sharedClaimName;
export const nfsServer = storage.server;
export const mysqlService = database.endpoint;
export const ldapBaseDn = cfg.ldap.mode === "none" ? undefined : cfg.ldap.baseDn;
export const ldapUsers = directory ? cfg.ldap.users.map((u) => directory.tree.userDn(u.uid)) : undefined;
export const ldapUserPasswords = directory?.userPasswords;
export const ldapCaCertificate = directory?.caCert;
export const dataPolicy = cfg.dataPolicy;

// The whole platform on one screen: config in, components wired together, outputs out.
import * as pulumi from "@pulumi/pulumi";

import { loadConfig } from "./config";
import { NS } from "./lib/schema";
import {
    assertLocalChart,
    Backup,
    ClassStorage,
    ClusterAccess,
    clusterArgs,
    DataKeys,
    directoryGroups,
    GROUP_SHARES_CLAIM,
    HubSecrets,
    homeClassOf,
    hubPodSecurity,
    JupyterHub,
    ldapAuthSettings,
    MySql,
    NfsStorage,
    OpenLdap,
    SHARED_CLAIM,
    skipAwaitTransform,
    storageNamespaceOf,
} from "./components";

const cfg = loadConfig(pulumi.runtime.allConfig(), pulumi.getStack());
assertLocalChart(cfg.hub, process.env);
const secret = (key: string) => new pulumi.Config(NS).requireSecret(key);
if (cfg.skipAwait) pulumi.runtime.registerResourceTransform(skipAwaitTransform);
const { namespace: ns, nfs, ldap, mysql } = cfg;

// The namespaces (the hub's at the Pod Security level its users' pods allow, the privileged
// storage parts' beside it) and the providers; every object below waits for them, and they wait
// for the preflight check of the names the stack takes and what it needs of the cluster.
const cluster = new ClusterAccess("cluster", clusterArgs(cfg));
const inCluster = { providers: [cluster.provider] };
const keep = cluster.keep(cfg.dataPolicy);
const storageKeep = cluster.keepStorage(cfg.dataPolicy);
const storageNs = storageNamespaceOf({ namespace: ns, nfs });
// The keys kept data open with (directory users' passwords, the hub's stored auth_state): from
// jupyterhub:dataKey when set, else generated once; kept beside the data, taken back after a destroy.
const dataKey = new DataKeys("data-key", {
    namespace: ns,
    dataKey: cfg.secretsPresent.dataKey ? secret("dataKey") : undefined,
    directory: ldap.mode === "in-cluster" ? ldap : undefined,
    keep,
});

// Homes and shared folders: on NFS (the in-cluster server or the site's), or on claims of an
// existing ReadWriteMany StorageClass (nfs.mode "storage-class").
const storage =
    nfs.mode === "storage-class"
        ? new ClassStorage("storage", { namespace: ns, config: nfs, keep }, inCluster)
        : new NfsStorage(
              "nfs",
              {
                  namespace: ns,
                  storage: storageNs && storageKeep ? { name: storageNs, keep: storageKeep } : undefined,
                  config: nfs,
                  dataPolicy: cfg.dataPolicy,
                  keep,
              },
              inCluster,
          );

const directory = ldap.mode === "in-cluster" ? new OpenLdap("openldap", { namespace: ns, config: ldap, keep, dataKey }, inCluster) : undefined;

const database = new MySql(
    "mysql",
    mysql.mode === "external" ? { namespace: ns, keep, config: mysql, externalPassword: secret("mysqlPassword") } : { namespace: ns, keep, config: mysql },
    inCluster,
);

// Dumps of the database and the directory; one more, before the hub, whenever its versions change.
const backup = cfg.backup.enabled
    ? new Backup(
          "backup",
          {
              namespace: ns,
              config: cfg.backup,
              database: { config: mysql, host: database.host, password: database.hubPassword },
              directory: directory && ldap.mode === "in-cluster" ? { tree: directory.tree, image: ldap.image } : undefined,
              chartVersion: cfg.hub.chartVersion,
              storageClass: storage.homeStorageClass,
              keep,
          },
          { ...inCluster, dependsOn: [database, ...(directory ? [directory] : [])] },
      )
    : undefined;

const hub = new JupyterHub(
    "jupyterhub",
    {
        namespace: ns,
        config: { hub: cfg.hub, singleuser: cfg.singleuser, profiles: cfg.profiles, culling: cfg.culling, ingress: cfg.ingress, chartValues: cfg.chartValues },
        skipAwait: cfg.skipAwait,
        secrets: new HubSecrets("hub-secrets", { namespace: ns, dataKey }),
        dbUrl: database.hubDbUrl,
        dbUrlWithoutPassword: database.hubDbUrlWithoutPassword,
        dbPoolRecycle: mysql.poolRecycle,
        homeStorageClass: homeClassOf(nfs),
        shared: storage.sharedClaimName
            ? { claimName: SHARED_CLAIM, mountPath: nfs.shared.mountPath, readOnlyForUsers: nfs.shared.readOnlyForUsers }
            : undefined,
        groupShares: storage.groupSharesClaimName ? { claimName: GROUP_SHARES_CLAIM, groups: nfs.groupShares } : undefined,
        ldap: ldapAuthSettings(ldap, ns),
        directoryGroups: directoryGroups(ldap, cfg.profiles, nfs.groupShares),
        ldapCaCert: directory ? directory.caCert : ldap.mode === "external" ? ldap.caCert : undefined,
        ldapSearchPassword: cfg.secretsPresent.ldapBindPassword ? secret("ldapBindPassword") : undefined,
        ingressTlsKey: cfg.secretsPresent.ingressTlsKey ? secret("ingressTlsKey") : undefined,
        registryPassword: cfg.secretsPresent.registryPassword ? secret("registryPassword") : undefined,
    },
    // The hub migrates its schema at start (after the dump, with backups on) and authenticates against the directory.
    { ...inCluster, dependsOn: [storage, database, ...(directory ? [directory] : []), ...(backup ? [backup] : [])] },
);

export const hubUrl = hub.url;
/** Without an ingress, how to reach the hub from a workstation. */
export const hubPortForward = cfg.ingress.enabled
    ? undefined
    : `kubectl -n ${ns} port-forward service/proxy-public 8080:80  # then open http://localhost:8080/`;
export const namespaceName = cluster.namespace.metadata.name;
/** The namespace of the in-cluster NFS server and csi-driver-nfs (privileged pods), if the stack runs them. */
export const storageNamespaceName = cluster.storageNamespace?.metadata.name;
/** The Pod Security level the hub's namespace enforces. */
export const hubPodSecurityLevel = hubPodSecurity(cfg).enforce;
export const homeStorageClass = storage.homeStorageClass;
export const sharedVolumeClaim = storage.sharedClaimName;
export const nfsServer = nfs.mode === "storage-class" ? undefined : storage.server;
export const mysqlService = database.endpoint;
export const ldapBaseDn = ldap.mode === "none" ? undefined : ldap.baseDn;
export const ldapUsers = directory && ldap.mode === "in-cluster" ? ldap.users.map((u) => directory.tree.userDn(u.uid)) : undefined;
export const ldapUserPasswords = directory?.userPasswords;
export const ldapCaCertificate = directory?.caCert;
export const dataPolicy = cfg.dataPolicy;

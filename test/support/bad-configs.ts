// Bad configurations and the error lines each must produce: checked against parseConfig by
// test/unit/config.test.ts and through the real engine by test/e2e/reliability.test.ts.

import { SEED_IMAGE, SEED_REGISTRY } from "./seed";

export const devUsers = { users: [{ uid: "alice" }, { uid: "bob" }], groups: [{ cn: "hub", members: ["alice"] }] };

/** [what, raw config (top-level keys), fragments every one of which the error must contain, stack]. */
export const BAD: Array<[string, Record<string, unknown>, string[], string?]> = [
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
    [
        "storage-class mode without a class",
        { nfs: { mode: "storage-class" } },
        ['jupyterhub:nfs.storageClass is required when jupyterhub:nfs.mode is "storage-class"', "pulumi config set --path nfs.storageClass"],
    ],
    [
        "NFS settings with storage-class mode",
        {
            ldap: devUsers,
            nfs: {
                mode: "storage-class",
                storageClass: "efs-sc",
                homeStorageClass: "home",
                mountOptions: ["nfsvers=4.1"],
                onDelete: "archive",
                installCsiDriver: false,
            },
        },
        [
            'jupyterhub:nfs.homeStorageClass is an NFS setting, unused with jupyterhub:nfs.mode "storage-class"',
            "homes are claims of jupyterhub:nfs.storageClass; remove it",
            'jupyterhub:nfs.mountOptions is an NFS setting, unused with jupyterhub:nfs.mode "storage-class" (the StorageClass\'s provisioner makes and mounts its volumes): remove it, or set jupyterhub:nfs.mode to "in-cluster" or "external"',
            "jupyterhub:nfs.onDelete is an NFS setting",
            "jupyterhub:nfs.installCsiDriver is an NFS setting",
        ],
    ],
    [
        "in-cluster server settings with storage-class mode",
        { ldap: devUsers, nfs: { mode: "storage-class", storageClass: "efs-sc", serverImage: "nfs:1", shared: { subPath: "data" } } },
        [
            'jupyterhub:nfs.serverImage is only used when jupyterhub:nfs.mode is "in-cluster": remove it, or change jupyterhub:nfs.mode',
            'jupyterhub:nfs.shared.subPath is a directory of the NFS export, unused with jupyterhub:nfs.mode "storage-class", where the shared volume is a claim of its own: remove it (got "data")',
        ],
    ],
    [
        "storage class not a name",
        { ldap: devUsers, nfs: { mode: "storage-class", storageClass: "EFS SC" } },
        ["jupyterhub:nfs.storageClass must be the name of a StorageClass", '"EFS SC"'],
    ],
    ["NFS mode not octal", { nfs: { mountPermissions: "777" } }, ['jupyterhub:nfs.mountPermissions must be an octal mode such as "0777"', '"777"']],
    ["node CIDR not a CIDR", { nfs: { nodeCidrs: ["10.0.0.1"] } }, ['jupyterhub:nfs.nodeCidrs[0] must be a CIDR such as "192.168.10.0/24"', '"10.0.0.1"']],
    ["relative NFS path", { nfs: { mode: "external", server: "nfs", path: "exports" } }, ["jupyterhub:nfs.path must be an absolute path", '"exports"']],
    ["onDelete delete while retaining", { nfs: { onDelete: "delete" } }, ["jupyterhub:nfs.onDelete", 'contradicts jupyterhub:dataPolicy "retain"']],
    ["shared volume hiding home", { nfs: { shared: { mountPath: "/home/jovyan" } } }, ["jupyterhub:nfs.shared.mountPath must not hide the home directory"]],
    ["lockout that never locks", { ldap: { ...devUsers, lockout: { maxFailures: 0 } } }, ["jupyterhub:ldap.lockout.maxFailures must be at least 1 (got 0)"]],
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
    [
        "admin group not defined",
        { ldap: { ...devUsers, adminGroups: ["admins"] } },
        ['jupyterhub:ldap.adminGroups[0] "admins" is not one of jupyterhub:ldap.groups (hub)'],
    ],
    [
        "external admin group not a DN",
        { ldap: { mode: "external", server: "ldap.example.org", bindDnTemplates: ["uid={username},dc=x"], adminGroups: ["admins"] } },
        ["jupyterhub:ldap.adminGroups[0] must be a full group DN", '"admins"'],
    ],
    [
        "admin groups without LDAP",
        { ldap: { mode: "none", adminGroups: ["admins"] }, hub: { authenticatorClass: "dummy" } },
        ["jupyterhub:ldap.adminGroups is only used with LDAP login", "jupyterhub:hub.admins"],
    ],
    [
        "group sync without LDAP",
        { ldap: { mode: "none", syncGroups: true }, hub: { authenticatorClass: "dummy" } },
        ["jupyterhub:ldap.syncGroups is only used with LDAP login"],
    ],
    [
        "member attribute unknown",
        { ldap: { mode: "external", server: "ldap.example.org", bindDnTemplates: ["uid={username},dc=x"], groupMemberAttribute: "memberOf" } },
        ['jupyterhub:ldap.groupMemberAttribute must be one of "member", "uniqueMember", "memberUid" (got "memberOf")'],
    ],
    [
        "member attribute for the in-cluster directory",
        { ldap: { ...devUsers, groupMemberAttribute: "memberUid" } },
        ['jupyterhub:ldap.groupMemberAttribute is only used when jupyterhub:ldap.mode is "external"'],
    ],
    [
        "group name attribute for the in-cluster directory",
        { ldap: { ...devUsers, groupNameAttribute: "ou" } },
        ['jupyterhub:ldap.groupNameAttribute must be "cn" for the in-cluster directory'],
    ],
    [
        "synced external group not named by the name attribute",
        {
            ldap: {
                mode: "external",
                server: "ldap.example.org",
                bindDnTemplates: ["uid={username},dc=x"],
                syncGroups: true,
                allowedGroups: ["ou=staff,dc=example,dc=org"],
            },
        },
        ['jupyterhub:ldap.allowedGroups[0] must start with "cn=" (jupyterhub:ldap.groupNameAttribute)'],
    ],
    [
        "profile group not defined",
        { ldap: devUsers, profiles: [{ slug: "standard" }, { slug: "gpu", groups: ["gpus"] }] },
        ['jupyterhub:profiles[1].groups[0] "gpus" is not one of jupyterhub:ldap.groups (hub)'],
    ],
    [
        "every profile limited to groups",
        { ldap: devUsers, profiles: [{ slug: "gpu", groups: ["hub"] }] },
        ["jupyterhub:profiles limits every profile to groups", "leave at least one profile without groups"],
    ],
    [
        "group share not a directory group",
        { ldap: devUsers, nfs: { groupShares: ["course-101"] } },
        ['jupyterhub:nfs.groupShares[0] "course-101" is not one of jupyterhub:ldap.groups (hub)'],
    ],
    [
        "group share not a plain name",
        { ldap: devUsers, nfs: { groupShares: ["../etc"] } },
        ['jupyterhub:nfs.groupShares[0] must be a group name such as "course-101"'],
    ],
    [
        "shared volume inside the group shares",
        { ldap: devUsers, nfs: { groupShares: ["hub"], shared: { mountPath: "/mnt/groups/all" } } },
        ["jupyterhub:nfs.shared.mountPath must not be /mnt/groups or inside it while jupyterhub:nfs.groupShares is set"],
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
        "chart of a major version the program is not written for",
        { ldap: devUsers, hub: { chartVersion: "5.0.0" } },
        ["jupyterhub:hub.chartVersion must be a chart this program is written for: z2jh 4.x from 4.3.5 on", '(got "5.0.0")'],
    ],
    [
        "chart older than the program's values",
        { ldap: devUsers, hub: { chartVersion: "4.2.0" } },
        ["jupyterhub:hub.chartVersion must be a chart this program is written for", '(got "4.2.0")'],
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
    [
        "backup schedule with six fields",
        { ldap: devUsers, backup: { schedule: "0 17 2 * * *" } },
        ["jupyterhub:backup.schedule must be a cron schedule of five fields", '"0 17 2 * * *"'],
    ],
    ["backup hour out of range", { ldap: devUsers, backup: { schedule: "0 24 * * *" } }, ["jupyterhub:backup.schedule must be a cron schedule", "hour 0-23"]],
    ["backups keeping none", { ldap: devUsers, backup: { keep: 0 } }, ["jupyterhub:backup.keep must be at least 1 (got 0)"]],
    [
        "backup time zone in lower case",
        { ldap: devUsers, backup: { timeZone: "europe/paris" } },
        ["jupyterhub:backup.timeZone must be an IANA time zone", '"europe/paris"'],
    ],
    [
        "chartValues setting the hub database",
        { ldap: devUsers, chartValues: { hub: { db: { url: "mysql+pymysql://hub:pw@mysql.example.org/hub" } } } },
        ["jupyterhub:chartValues.hub.db.url is set by the program; use jupyterhub:mysql instead"],
    ],
    [
        "chartValues setting the user image",
        { ldap: devUsers, chartValues: { singleuser: { image: { name: "quay.io/jupyter/base-notebook", tag: "2025-11-03" } } } },
        ["jupyterhub:chartValues.singleuser.image.name is set by the program; use jupyterhub:singleuser.image instead"],
    ],
    ["chartValues not a map", { ldap: devUsers, chartValues: ["hub.allowNamedServers"] }, ["jupyterhub:chartValues must be a map of z2jh chart values"]],
    [
        "relative home path",
        { ldap: devUsers, singleuser: { homeMountPath: "home/jupyter" } },
        ["jupyterhub:singleuser.homeMountPath must be an absolute path", '"home/jupyter"'],
    ],
    [
        "home over a system directory",
        { ldap: devUsers, singleuser: { homeMountPath: "/usr/local" } },
        ["jupyterhub:singleuser.homeMountPath must not hide a system directory"],
    ],
    [
        "shared volume hiding a moved home",
        { ldap: devUsers, singleuser: { homeMountPath: "/home/jupyter" }, nfs: { shared: { mountPath: "/home/jupyter" } } },
        ['jupyterhub:nfs.shared.mountPath must not hide the home directory, jupyterhub:singleuser.homeMountPath "/home/jupyter"'],
    ],
    [
        "home under the group shares' root",
        { ldap: devUsers, singleuser: { homeMountPath: "/mnt/groups/home" }, nfs: { groupShares: ["hub"] } },
        ["jupyterhub:singleuser.homeMountPath must not be under /mnt/groups, where jupyterhub:nfs.groupShares are mounted", '(got "/mnt/groups/home")'],
    ],
    [
        "credential in the environment",
        { ldap: devUsers, singleuser: { extraEnv: { GITHUB_TOKEN: "ghp_0123456789" } } },
        ["jupyterhub:singleuser.extraEnv.GITHUB_TOKEN looks like a credential", "secretKeyRef"],
    ],
    [
        "GRANT_SUDO by hand",
        { ldap: devUsers, singleuser: { extraEnv: { GRANT_SUDO: "yes" } } },
        ["jupyterhub:singleuser.extraEnv.GRANT_SUDO is set by the program: use jupyterhub:singleuser.grantSudo"],
    ],
    ["sudo on the sample image", { ldap: devUsers, singleuser: { grantSudo: true } }, ["jupyterhub:singleuser.grantSudo needs docker-stacks images"]],
    [
        "sudo with a home outside /home",
        { ldap: devUsers, singleuser: { image: "quay.io/jupyter/base-notebook:2025-11-03", grantSudo: true, homeMountPath: "/data/jupyter" } },
        ["jupyterhub:singleuser.homeMountPath must be /home/<user name> when jupyterhub:singleuser.grantSudo is true"],
    ],
    [
        "registry without its password",
        { ldap: devUsers, singleuser: { image: SEED_IMAGE, registry: { server: SEED_REGISTRY, username: "puller" } } },
        ["jupyterhub:registryPassword is required with jupyterhub:singleuser.registry", "pulumi config set --secret registryPassword"],
    ],
    [
        "plain-text registry password",
        { ldap: devUsers, singleuser: { image: SEED_IMAGE, registry: { server: SEED_REGISTRY, username: "puller", password: "hunter2" } } },
        ["jupyterhub:singleuser.registry.password must not be stored in plain text", "pulumi config set --secret registryPassword"],
    ],
    [
        "registry given as a URL",
        {
            ldap: devUsers,
            singleuser: { image: SEED_IMAGE, registry: { server: `https://${SEED_REGISTRY}/v2/`, username: "puller" } },
            registryPassword: "<secret>",
        },
        ["jupyterhub:singleuser.registry.server must be a registry host as it starts the image names"],
    ],
    [
        "registry of none of the images",
        { ldap: devUsers, singleuser: { registry: { server: SEED_REGISTRY, username: "puller" } }, registryPassword: "<secret>" },
        ['jupyterhub:singleuser.registry.server is the registry of none of the images (jupyterhub:singleuser.image comes from "quay.io")'],
    ],
    ["object given a string", { ldap: devUsers, culling: "yes" }, ['jupyterhub:culling must be an object (got "yes")']],
    ["boolean as word", { ldap: devUsers, culling: { enabled: "maybe" } }, ['jupyterhub:culling.enabled must be true or false (got "maybe")']],
];

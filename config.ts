// The stack configuration: every `jupyterhub:` key, its type, default, checks and docs, in one
// schema. It gives the TypeScript types, the validation and its error text, and the docs:
// Pulumi.yaml's `config:` block and README.md's reference, written by `npm run docs` (CI fails
// while they lag). No resources are created here.
//
// Adding a setting is one edit, a field in its section below, then `npm run docs`:
//     maxUsers: int({ min: 1 }).default(100).describe("users the hub admits at once"),
// - Field helpers (lib/schema.ts): text/str/optStr/required (strings, checked by [regex, message]),
//   bool, num/int (also "3"/"true", as `pulumi config set --path` stores them), quantity, image,
//   oneOf, list, strMap. `.describe()` comes last; `.meta({ shown })` documents a default that
//   depends on other keys. Value formats (DNs, cron, quantities...) are in lib/formats.ts.
// - A field of one mode goes in that mode's object (`mode` of nfs/ldap/mysql, ingress `enabled`):
//   components see it, typed, only in that mode, and elsewhere it is refused by name (INSTEAD:
//   a key's own advice there).
// - A check of one value goes on its field (.regex, .refine); one across fields is a `rule`, which
//   runs even when other fields are wrong (guard with `ok("field")`), so that every problem is
//   reported at once. Checks across sections: configSchema. New secrets: SECRET_KEYS + index.ts.
// - The z2jh values the program sets, which `chartValues` may not touch: lib/chart-values.ts.
import * as z from "zod";

import { chartValueIssues } from "./lib/chart-values";
import {
    ABS_PATH,
    CIDR,
    DNS_LABEL,
    DNS_NAME,
    ENV_NAME,
    hidesSystemDir,
    imageRegistry,
    isCronSchedule,
    isDn,
    isTimeZone,
    PEM_CERT,
    toBytes,
} from "./lib/formats";
import { KUBE_RANGE } from "./lib/kube-versions";
import { credentialEnvName } from "./lib/pods";
import { ConfigError, defaultMessage, problemLines } from "./lib/problems";
import { bool, envValue, image, int, list, num, obj, oneOf, optStr, quantity, required, str, strMap, text } from "./lib/schema";
import { type Add, byMode, type Check, notOneOf, NS, type Ok, present, rule } from "./lib/schema";

/** Secret keys: set with `pulumi config set --secret KEY`; only their presence is read here. */
export const SECRET_KEYS = ["mysqlPassword", "ldapBindPassword", "ingressTlsKey", "registryPassword", "dataKey"] as const;

const MYSQL_SECRET = "`pulumi config set --secret mysqlPassword <value>` (external servers only; in-cluster passwords are generated)";
/** Where users put secrets in plain text, and the command that stores them as secrets instead. */
export const PLAINTEXT: Record<string, string> = {
    "ldap.password": "`pulumi config set --secret ldapBindPassword <value>`",
    "ldap.bindPassword": "`pulumi config set --secret ldapBindPassword <value>`",
    "mysql.password": MYSQL_SECRET,
    "mysql.rootPassword": MYSQL_SECRET,
    "ingress.tlsKey": "`pulumi config set --secret ingressTlsKey < tls.key`",
    "singleuser.registry.password": "`pulumi config set --secret registryPassword <password>`",
};

/** The NFS keys both NFS modes have: refused with `nfs.mode: storage-class`, whose class's own provisioner makes and mounts the volumes. */
const NFS_ONLY = `is an NFS setting, unused with ${NS}:nfs.mode "storage-class" (the StorageClass's provisioner makes and mounts its volumes)`;
const LDAP_ONLY = `is only used with LDAP login (${NS}:ldap.mode "in-cluster" or "external")`;
/** Keys of other modes whose line says what to do instead of the generic "remove it, or change the mode". */
const INSTEAD: Record<string, string> = {
    "ldap.adminGroups": `${LDAP_ONLY}; with ldap.mode "none" name the admins in ${NS}:hub.admins`,
    "ldap.syncGroups": `${LDAP_ONLY}; remove it`,
    "nfs.shared.subPath": `is a directory of the NFS export, unused with ${NS}:nfs.mode "storage-class", where the shared volume is a claim of its own: remove it`,
    "nfs.homeStorageClass": `${NFS_ONLY}: homes are claims of ${NS}:nfs.storageClass; remove it, or set ${NS}:nfs.mode to "in-cluster" or "external"`,
    ...Object.fromEntries(
        ["onDelete", "mountOptions", "mountPermissions", "csiDriverVersion", "installCsiDriver"].map((k) => [
            `nfs.${k}`,
            `${NFS_ONLY}: remove it, or set ${NS}:nfs.mode to "in-cluster" or "external"`,
        ]),
    ),
};

// ---------------------------------------------------------------- sections

const SQL_IDENT: Check = [/^[a-zA-Z_][a-zA-Z0-9_]{0,31}$/, "must be a plain SQL identifier (letters, digits, _)"];
const OU: Check = [/^[a-zA-Z0-9][a-zA-Z0-9 _-]*$/, 'must be a plain OU name such as "people"'];
const HOST: Check = [/^[a-zA-Z0-9.-]+$/, "must be a host name without scheme or port"];
const NAME: Check = [/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, "must be a plain group name"];
const groupName = (example: string) => text([NAME[0], `must be a group name such as "${example}"`]);
/** Where group shares live: `<export>/groups/<group>`, mounted at `/mnt/groups/<group>` in members' pods. */
export const GROUP_SHARES = { dir: "groups", mountRoot: "/mnt/groups" } as const;
const UID: Check = [/^[a-z_][a-z0-9_.-]{0,31}$/, "must be a POSIX-style user name (lower case, starts with a letter)"];
const OCTAL: Check = [/^0[0-7]{0,4}$/, 'must be an octal mode such as "0777", or "0" to leave directories as created'];
const SUBDIR: Check = [/^[a-zA-Z0-9._-]+$/, "must be a single directory name (letters, digits, '.', '_', '-')"];
const CHART_VERSION: Check = [/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/, 'must be an exact chart version such as "4.4.0"'];
/**
 * The charts the program's values are written for: z2jh 4 from 4.3.5 (both it and 4.4.0 pass the
 * apiserver tier's Helm render and the e2e tier's rehearsal of 4.3.5 -> 4.4.0). A 5.x chart may
 * rename or drop any value: refused until the program is written for it.
 */
export const CHART_RANGE: Check = [
    /^4\.(3\.([5-9]|[1-9][0-9]+)|([4-9]|[1-9][0-9]+)\.[0-9]+)(-[0-9A-Za-z.-]+)?$/,
    'must be a chart this program is written for: z2jh 4.x from 4.3.5 on, such as "4.4.0" (a newer major version needs a new release of the program)',
];
const GPU: Check = [/^[a-z0-9.-]+\/[a-z0-9.-]+$/, 'must be an extended resource name such as "nvidia.com/gpu"'];
const groupDn = (cn: string) => text().refine(isDn, `must be a full group DN such as "cn=${cn},ou=groups,dc=example,dc=org" for an external directory`);
const ADMIN_GROUPS =
    "groups (in-cluster: cns; external: full DNs) whose members are admins besides `hub.admins`, and may log in; leaving them takes admin away at the next login";
const SYNC_GROUPS =
    "the user's directory groups become their JupyterHub groups at each login (`Authenticator.manage_groups`), for profiles, group shares and roles";
const GROUP_NAME_ATTRIBUTE = "the DN attribute naming a group: `cn=gpu,...` is the JupyterHub group `gpu`";
const INSECURE = 'must not be "insecure" for the in-cluster directory, which always serves TLS with the program\'s CA';
const HOSTNAME: Check = [DNS_NAME, "must be a DNS host name such as hub.example.org"];
// The home directory is singleuser.homeMountPath, checked against the shared volume in configSchema.
const HIDDEN_DIRS = ["/", "/etc", "/usr"];
const LATE = "or idle servers outlive the timeout";
const EXCLUSIVE = "are exclusive: give a certificate or name an existing Secret, not both";
const inCluster = z.literal("in-cluster").default("in-cluster");
const whenMode = (section: string, hint = "") => `is required when ${NS}:${section}.mode is "external"${hint}`;
const STORAGE_CLASS = `is required when ${NS}:nfs.mode is "storage-class": name an existing ReadWriteMany StorageClass (pulumi config set --path nfs.storageClass efs-sc)`;
const NFS_SERVER = whenMode("nfs", ": set it to your NFS server's address (pulumi config set --path nfs.server nfs.example.org)");
const clusterDefault = (doc: string) => optStr().meta({ shown: "cluster default" }).describe(doc);

const sharedFields = {
    enabled: bool(true).describe("mount a ReadWriteMany volume in every user pod"),
    size: quantity().default("10Gi").describe("its capacity (informational for NFS, required by Kubernetes; the claim's request with `mode: storage-class`)"),
    mountPath: text([ABS_PATH, "must be an absolute path"])
        .refine((p) => !HIDDEN_DIRS.includes(p), "must not hide the home directory or system directories; use e.g. /mnt/shared")
        .default("/mnt/shared")
        .describe("where it appears in user pods"),
    readOnlyForUsers: bool(false).describe("read-only for users, writable for admins"),
};
const Shared = obj("the volume mounted in every user pod", {
    ...sharedFields,
    subPath: str("shared", SUBDIR).describe("its directory on the export (NFS modes; with `mode: storage-class` the volume is a claim of its own)"),
});

const groupShares = () =>
    list(groupName("course-101")).describe(
        "JupyterHub groups, each given `<export>/groups/<group>` (with `mode: storage-class`: the directory `<group>` of the claim `jupyterhub-group-shares`) mounted read-write at `/mnt/groups/<group>` in its members' pods only (in-cluster LDAP: cns of `ldap.groups`)",
    );
const nfsCommon = {
    homeStorageClass: str("jupyterhub-home", [DNS_NAME, "must be a DNS name (lower case)"]).describe("StorageClass created for home volumes"),
    onDelete: z
        .enum(["retain", "archive", "delete"])
        .optional()
        .meta({ shown: "`retain`; `delete` with `dataPolicy: delete`" })
        .describe("what csi-driver-nfs does with a home directory whose volume is deleted (`delete` only with `dataPolicy: delete`)"),
    mountOptions: list(text(), ["nfsvers=4.1"]).describe("NFS mount options"),
    mountPermissions: str("0", OCTAL).describe('mode of new home directories: `"0"`: the kubelet\'s (needs `no_root_squash`); `"0777"`: `root_squash`'),
    shared: Shared.prefault({}),
    csiDriverVersion: str("v4.12.1", [/^v[0-9]+\.[0-9]+\.[0-9]+$/, 'must be a release tag such as "v4.12.1"']).describe("csi-driver-nfs version"),
    installCsiDriver: bool(true).describe("`false` when the cluster already runs csi-driver-nfs (one per cluster)"),
    groupShares: groupShares(),
};

const Nfs = byMode("mode", [
    obj("an NFS server in the cluster, on a block volume", {
        mode: inCluster,
        serverImage: image().default("registry.k8s.io/e2e-test-images/volume/nfs:1.4").describe("image of the NFS server"),
        serverStorageSize: quantity().default("20Gi").describe("its block volume, which holds every home and the shared data"),
        serverStorageClass: clusterDefault("StorageClass of that volume"),
        nodeCidrs: list(text([CIDR, 'must be a CIDR such as "192.168.10.0/24" or "10.244.1.0/32"'])).describe(
            "the addresses nodes reach the server from (node IPs; with an overlay network each node's tunnel or bridge address too): the only clients its export and its NetworkPolicy admit; empty: the export admits any address and the policy only what the network plugin passes as the server's own node's traffic (README, Security)",
        ),
        ...nfsCommon,
    }),
    obj("your NFS server", {
        mode: z.literal("external"),
        server: required(NFS_SERVER, [/^[a-zA-Z0-9.:-]+$/, "must be a host name or IP address"]).describe("its address (an IP or a name the nodes resolve)"),
        path: str("/", [ABS_PATH, 'must be an absolute path such as "/exports/jupyterhub"']).describe("the exported path"),
        ...nfsCommon,
    }),
    obj(
        "no NFS: an existing ReadWriteMany StorageClass (EFS, Filestore, Azure Files, CephFS, Longhorn...) for homes, the shared volume, group shares and backups",
        {
            mode: z.literal("storage-class"),
            storageClass: required(STORAGE_CLASS, [DNS_NAME, "must be the name of a StorageClass of the cluster (lower case DNS name)"]).describe(
                "the existing StorageClass (`mode: storage-class`) whose volumes users' pods on any node can share (ReadWriteMany): homes are claims of it, and so are the shared volume, the group shares and the backups",
            ),
            shared: obj("the volume mounted in every user pod", sharedFields).prefault({}),
            groupShares: groupShares(),
        },
    ),
]);
/** Group shares: each group once, and apart from the shared volume's directory and mount. */
const NfsWithGroupShares = rule(Nfs, (n, add, ok) => {
    if (!ok("mode", "groupShares")) return;
    n.groupShares.forEach((g, i) => n.groupShares.indexOf(g) !== i && add(["groupShares", i], `"${g}" is listed twice`, true));
    const [{ dir, mountRoot: root }, set] = [GROUP_SHARES, `while ${NS}:nfs.groupShares is set`];
    if (n.groupShares.length === 0) return;
    if (ok("shared.subPath") && "subPath" in n.shared && n.shared.subPath === dir)
        add(["shared", "subPath"], `must not be "${dir}" ${set}: group shares live in <export>/${dir}`);
    const inside = (p: string) => p === root || p.startsWith(`${root}/`);
    if (ok("shared.mountPath") && inside(n.shared.mountPath)) {
        add(["shared", "mountPath"], `must not be ${root} or inside it ${set}: group shares are mounted at ${root}/<group>`);
    }
});

const baseDn = text().refine(isDn, 'must look like "dc=example,dc=org"').default("dc=example,dc=org").describe("base DN of the directory");
const email: Check = [/^[^@\s]+@[^@\s]+$/, "must be an e-mail address"];
const LdapUser = z
    .strictObject({ uid: required("is required for every user", UID), givenName: optStr(), sn: optStr(), mail: optStr(email) })
    .transform((u) => ({ ...u, givenName: u.givenName ?? u.uid, sn: u.sn ?? u.uid }));
const LdapGroup = z.strictObject({ cn: required("is required for every group", NAME), members: list(text()) });

const LdapInCluster = rule(
    obj("OpenLDAP in the cluster, bootstrapped with `users` and `groups`", {
        mode: inCluster,
        baseDn,
        organisation: str("Example").describe("organisation of the base entry"),
        usersOu: str("people", OU).describe("OU of the users"),
        groupsOu: str("groups", OU).describe("OU of the groups"),
        users: list(LdapUser).describe(
            "`[{uid, givenName, sn, mail}]`, bootstrapped with passwords derived from one generated key (secret output `ldapUserPasswords`); " +
                "a user removed from the list is deleted from the directory (the users OU belongs to the stack). A user costs no Pulumi resource; " +
                "the list must fit in one Secret (1 MiB: about 2700 users with short names), else the run stops naming this key",
        ),
        groups: list(LdapGroup).describe("`[{cn, members: [uid]}]`; membership is reset to this list on every change"),
        allowedGroups: list(text()).describe("cns of the groups whose members may log in; empty: every directory user"),
        adminGroups: list(text()).describe(ADMIN_GROUPS),
        syncGroups: bool(true).describe(SYNC_GROUPS),
        groupNameAttribute: text()
            .refine((a) => a === "cn", 'must be "cn" for the in-cluster directory, whose groups are cn=<name>,ou=<groupsOu>,<baseDn>')
            .default("cn")
            .describe(GROUP_NAME_ATTRIBUTE),
        image: image().default("symas/openldap:2.6.8-debian-12").describe("image of the directory server"),
        storageSize: quantity().default("1Gi").describe("its volume"),
        storageClass: clusterDefault("StorageClass of its volume"),
        tlsStrategy: oneOf(["before_bind", "on_connect"], "on_connect", (i) => (i.input === "insecure" ? INSECURE : undefined)).describe(
            "`on_connect` or `before_bind`",
        ),
        lockout: obj("a user's account locked after failed logins (the directory's password policy)", {
            maxFailures: int({ min: 1, max: 1000 }).default(5).describe("failed binds in a row (within `duration`) that lock the account"),
            duration: int({ min: 0, max: 31536000 })
                .default(900)
                .describe("seconds the account stays locked, and the window failures are counted in; `0`: until the admin unlocks it (docs/operations.md)"),
        }).prefault({}),
        resetPasswordsFrom: optStr([/^[0-9a-f]{16}$/, 'must be a key fingerprint, 16 hex digits (e.g. "00faea6b8f42b7c1")']).describe(
            "with `dataKey`: the fingerprint of the key the directory's passwords were set from (and the kept one, Secret `data-key`), to let a new data key " +
                "replace it and the sync Job give every user a password from it; without it the update refuses, naming both keys",
        ),
    }),
    (l, add, ok) => {
        if (!ok("users.*.uid")) return;
        const uids = l.users.map((u) => u.uid);
        uids.forEach((uid, i) => uids.indexOf(uid) !== i && add(["users", i, "uid"], `"${uid}" is listed twice; user ids must be unique`, true));
        if (uids.length === 0) add(["users"], `must list at least one user when ${NS}:ldap.mode is "in-cluster", or nobody can log in`, true);
        if (!ok("groups")) return;
        const stranger = notOneOf(add, "ldap.users", uids, "; add the user or remove the member");
        for (const [gi, g] of l.groups.entries()) {
            g.members.forEach((m, mi) => stranger(["groups", gi, "members", mi], m));
            if (g.members.length === 0) add(["groups", gi, "members"], "must name at least one user: LDAP groupOfNames needs a member", true);
        }
        const cns = l.groups.map((g) => g.cn);
        const group = notOneOf(add, "ldap.groups", cns);
        for (const k of ["allowedGroups", "adminGroups"] as const) if (ok(k)) l[k].forEach((g, i) => group([k, i], g));
    },
);

const LdapExternal = rule(
    obj("your directory", {
        mode: z.literal("external"),
        baseDn,
        server: required(whenMode("ldap", " (e.g. ldap.example.org)"), [HOST[0], `${HOST[1]} (e.g. ldap.example.org)`]).describe("its host name"),
        port: int({ min: 1, max: 65535 }).optional().meta({ shown: "636 with `on_connect`, else 389" }).describe("its port"),
        tlsStrategy: oneOf(["before_bind", "on_connect", "insecure"], "before_bind").describe("`before_bind` (StartTLS), `on_connect` (LDAPS) or `insecure`"),
        allowedGroups: list(groupDn("jupyterhub")).describe("full DNs of the groups whose members may log in; empty: every directory user"),
        bindDnTemplates: list(text().refine((t) => t.includes("{username}"), 'must contain "{username}"')).describe("DNs to bind as; unless `lookupDn`"),
        lookupDn: bool(false).describe("look each user's DN up with a search user instead of templates"),
        userAttribute: str("uid").describe("attribute holding the login name (with `lookupDn`)"),
        searchUser: optStr().describe("DN the hub searches as (with `lookupDn`); its password is the secret key `ldapBindPassword`"),
        caCert: optStr().describe("PEM certificate of the CA that signed the directory's certificate"),
        adminGroups: list(groupDn("hub-admins")).describe(ADMIN_GROUPS),
        syncGroups: bool(false).describe(SYNC_GROUPS),
        groupsOu: str("groups", OU).describe("OU of the groups"),
        groupMemberAttribute: z
            .enum(["member", "uniqueMember", "memberUid"])
            .optional()
            .describe("the one attribute groups list members in: `member` or `uniqueMember` (user DNs) or `memberUid` (login names); unset: any of them"),
        groupNameAttribute: str("cn", [/^[a-zA-Z][a-zA-Z0-9-]*$/, 'must be an LDAP attribute name such as "cn"']).describe(GROUP_NAME_ATTRIBUTE),
    }),
    (l, add, ok) => {
        const example = `e.g. ["uid={username},ou=people,${l.baseDn}"]`;
        if (ok("lookupDn", "bindDnTemplates", "baseDn") && !l.lookupDn && l.bindDnTemplates.length === 0) {
            add(["bindDnTemplates"], `is required for an external directory unless ${NS}:ldap.lookupDn is true, ${example}`);
        }
        if (ok("lookupDn", "searchUser") && l.lookupDn && !l.searchUser) {
            add(["searchUser"], `is required when ${NS}:ldap.lookupDn is true (the DN the hub binds as to search for users)`);
        }
        if (ok("tlsStrategy", "caCert") && l.tlsStrategy !== "insecure" && l.caCert !== undefined && !PEM_CERT.test(l.caCert)) {
            add(["caCert"], "must be a PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        if (!ok("syncGroups", "groupNameAttribute") || !l.syncGroups) return;
        // A synced group's JupyterHub name is the value of its DN's first attribute.
        const attr = l.groupNameAttribute;
        const unnamed = (dn: string) => dn.split("=")[0].trim().toLowerCase() !== attr.toLowerCase();
        const fix = `must start with "${attr}=" (${NS}:ldap.groupNameAttribute), which names its JupyterHub group when ${NS}:ldap.syncGroups is true`;
        for (const k of ["allowedGroups", "adminGroups"] as const) l[k].forEach((dn, i) => ok(`${k}.${i}`) && unnamed(dn) && add([k, i], fix));
    },
);

const Ldap = byMode("mode", [LdapInCluster, LdapExternal, obj("no directory: `hub.authenticatorClass` logs users in", { mode: z.literal("none") })]);

const mysqlCommon = {
    database: str("jupyterhub", SQL_IDENT).describe("the hub's database"),
    user: str("jupyterhub", SQL_IDENT).describe("the hub's database user"),
    port: int({ min: 1, max: 65535 }).default(3306).describe("the server's port"),
    poolRecycle: int({ min: 60 }).default(3600).describe("seconds before pooled connections are recycled (below MySQL's `wait_timeout`)"),
};
/** The in-cluster server's default image; also the client image that dumps an external server (components/backup.ts). */
export const MYSQL_IMAGE = "mysql:8.4.7";
const MYSQL_LTS = 'must be a MySQL 8.4 LTS tag such as "mysql:8.4.7"; "lts" now points to 9.x';
const Mysql = byMode("mode", [
    obj("a MySQL StatefulSet with generated passwords", {
        mode: inCluster,
        image: image()
            .refine((i) => !/^mysql:(lts|innovation|9)/.test(i), MYSQL_LTS)
            .default(MYSQL_IMAGE)
            .describe("MySQL 8.4 LTS image"),
        storageSize: quantity().default("10Gi").describe("its volume"),
        storageClass: clusterDefault("StorageClass of its volume: block storage, never NFS"),
        ...mysqlCommon,
    }),
    obj("your server", {
        mode: z.literal("external"),
        host: required(whenMode("mysql"), HOST).describe("its host; the password is the secret key `mysqlPassword`"),
        ...mysqlCommon,
    }),
]);

const TRAITLETS = "must be an object of traitlets config, e.g. {GitHubOAuthenticator: {...}}";
const Hub = obj("the Zero to JupyterHub chart and login", {
    chartVersion: text()
        .regex(CHART_VERSION[0], { error: CHART_VERSION[1], abort: true })
        .regex(...CHART_RANGE)
        .default("4.4.0")
        .describe("the pinned chart: z2jh 4.x from 4.3.5 on; moving it back below the version the hub runs is refused"),
    allowDowngradeFrom: optStr(CHART_VERSION).describe(
        "the chart version the hub runs, to allow `chartVersion` below it once the database is restored from before the upgrade (docs/operations.md)",
    ),
    chartRepo: str("https://hub.jupyter.org/helm-chart/", [/^(https?|oci):\/\//, "must be an http(s):// or oci:// URL"]).describe("its repository"),
    chartPath: optStr().describe("a local copy of the chart used instead (offline clusters)"),
    admins: list(text([/^[a-zA-Z0-9._@-]+$/, "must be a user name"])).describe("admin user names (in-cluster LDAP: directory users)"),
    authenticatorClass: optStr().describe('login when `ldap.mode` is `none`, e.g. `"github"`; `"dummy"` is refused on `prod`'),
    authenticatorConfig: z.record(z.string(), z.unknown(), { error: TRAITLETS }).default({}).describe("its traitlets config, as `hub.config`"),
    proxyServiceType: oneOf(["ClusterIP", "NodePort", "LoadBalancer"], "ClusterIP").describe("Service type of the proxy"),
});

// Users' servers: the home volume's place, their environment, sudo, a private registry.
const HOME_PATH = 'must be an absolute path such as "/home/jupyter" (no trailing "/", no templates)';
/** docker-stacks' start.sh, run as root, makes /home/$NB_USER the user's home. */
const SUDO_HOME = /^\/home\/[a-z_][a-z0-9_-]{0,31}$/;
const SUDO_HOME_FIX = `must be /home/<user name> when ${NS}:singleuser.grantSudo is true: docker-stacks' start.sh makes /home/$NB_USER the home, and the program sets NB_USER to <user name>`;

/** Variables the program sets for grantSudo. */
const PROGRAM_ENV = ["GRANT_SUDO", "NB_USER", "NB_UID", "NB_GID"];
/** Why a variable may not be set in extraEnv, whatever its value. */
function envNameProblem(name: string): string | undefined {
    if (!ENV_NAME.test(name)) return 'is not a variable name: use letters, digits and "_", not starting with a digit';
    if (PROGRAM_ENV.includes(name)) return `is set by the program: use ${NS}:singleuser.grantSudo (and ${NS}:singleuser.homeMountPath for the user's name)`;
    if (name.startsWith("JUPYTERHUB_")) return "is set by the hub for every server; choose another name";
    return undefined;
}
const credential = (name: string) =>
    `looks like a credential, which must not be stored in plain config: give {valueFrom: {secretKeyRef: {name: <Secret>, key: <key>}}} instead, or mount the file and set ${name}_FILE to its path`;
const ExtraEnv = rule(
    z.record(z.string(), envValue(), { error: 'must be a map of variable names to values, e.g. {COURSE: "physics-101"}' }),
    (env, add, ok) => {
        for (const [name, v] of Object.entries(env)) {
            const problem = envNameProblem(name) ?? (ok(name) && typeof v === "string" && credentialEnvName(name) ? credential(name) : undefined);
            if (problem) add([name], problem, true);
        }
    },
);

const REGISTRY_HOST: Check = [
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/,
    'must be a registry host as it starts the image names, e.g. "mydocker.registry.com" (no scheme, no path)',
];
const WITH_REGISTRY = `is required with ${NS}:singleuser.registry`;
const Registry = obj("a private registry the images come from", {
    server: required(WITH_REGISTRY, REGISTRY_HOST).describe(
        "a private registry the images come from, as their names start (e.g. `mydocker.registry.com`); its password is the secret key `registryPassword`",
    ),
    username: required(WITH_REGISTRY, [/^[^:\s]+$/, 'must be a user name without ":" or spaces']).describe(
        "the registry user; the credentials go to a `kubernetes.io/dockerconfigjson` Secret that user pods pull with",
    ),
});
/** The image z2jh publishes as a sample: no docker-stacks start.sh, no sudo. */
const SAMPLE_IMAGE = /^quay\.io\/jupyterhub\/k8s-singleuser-sample[:@]/;

const Singleuser = rule(
    obj("users' servers", {
        image: image().default("quay.io/jupyterhub/k8s-singleuser-sample:4.4.0").describe("image of users' servers, pinned (`:latest` is refused)"),
        cpuLimit: num({ min: 0.01 }).default(2).describe("cores"),
        cpuGuarantee: num({ min: 0 }).default(0.5).describe("cores"),
        memoryLimit: quantity().default("4G").describe("memory"),
        memoryGuarantee: quantity().default("1G").describe("memory"),
        storageCapacity: quantity().default("10Gi").describe("size of each home volume"),
        defaultUrl: str("/lab", [/^\//, 'must be a path such as "/lab"']).describe("landing page"),
        postStart: z
            .union([z.string().transform((s) => ["sh", "-c", s]), z.array(z.string())], { error: "must be a shell command or a list of strings" })
            .default([])
            .describe("a shell command (or argv list) run after start"),
        startTimeout: int({ min: 30 }).default(300).describe("seconds a spawn may take"),
        homeMountPath: text()
            .regex(/^(\/[A-Za-z0-9._-]+)+$/, { error: HOME_PATH, abort: true })
            .refine((p) => !hidesSystemDir(p), 'must not hide a system directory; use a directory of its own such as "/home/jupyter"')
            .default("/home/jovyan")
            .describe(
                "where the home volume is mounted: the home of the image's user (e.g. `/home/jupyter`), where servers start; with `grantSudo`, `/home/<user>`",
            ),
        extraEnv: ExtraEnv.default({}).describe(
            '`{NAME: "value"}` or `{NAME: {valueFrom: {secretKeyRef: {name, key}}}}`; a name like PASSWORD, PASSWD, TOKEN, SECRET, PRIVATE_KEY or API_KEY (not `*_FILE`) only with `valueFrom`; GRANT_SUDO, NB_USER, NB_UID, NB_GID and JUPYTERHUB_* are refused (set by the program or the hub)',
        ),
        grantSudo: bool(false).describe(
            "passwordless sudo: servers start as root with GRANT_SUDO=yes, and docker-stacks' start.sh runs them as NB_USER (the last part of `homeMountPath`, uid 1000); needs a docker-stacks image and a stack whose policy config allows it (`singleuser-root-start`)",
        ),
        registry: Registry.optional(),
    }),
    (s, add, ok) => {
        const over = (k: string, limit: string | number) => add([k], `must not exceed ${NS}:singleuser.${k.replace("Guarantee", "Limit")} (${limit})`);
        if (ok("cpuLimit", "cpuGuarantee") && s.cpuGuarantee > s.cpuLimit) over("cpuGuarantee", s.cpuLimit);
        if (ok("memoryLimit", "memoryGuarantee") && toBytes(s.memoryGuarantee) > toBytes(s.memoryLimit)) over("memoryGuarantee", s.memoryLimit);
        if (ok("grantSudo", "homeMountPath") && s.grantSudo && !SUDO_HOME.test(s.homeMountPath)) add(["homeMountPath"], SUDO_HOME_FIX);
    },
);

const Profile = z
    .strictObject({
        slug: required("is required for every profile", [DNS_LABEL, 'must be a DNS label such as "gpu"']),
        displayName: optStr(),
        description: str(""),
        default: bool(false),
        image: image().optional(),
        cpuLimit: num({ min: 0.01 }).optional(),
        cpuGuarantee: num({ min: 0 }).optional(),
        memoryLimit: quantity().optional(),
        memoryGuarantee: quantity().optional(),
        gpus: int({ min: 0, max: 16 }).default(0),
        gpuResource: str("nvidia.com/gpu", GPU),
        nodeSelector: strMap(),
        tolerations: list(z.strictObject({ key: optStr(), operator: optStr(), value: optStr(), effect: optStr() })),
        groups: list(groupName("gpu")),
    })
    .transform((p) => ({ ...p, displayName: p.displayName ?? p.slug }));

const Culling = rule(
    obj("stopping idle servers", {
        enabled: bool(true).describe("stop idle servers"),
        timeout: int({ min: 60 }).default(3600).describe("idle seconds before a server is stopped"),
        every: int({ min: 10 }).default(600).describe("seconds between checks"),
        maxAge: int({ min: 0 }).default(0).describe("seconds after which a server is stopped even if busy; 0: no limit"),
        users: bool(false).describe("also delete idle users"),
    }),
    (c, add, ok) => {
        if (ok("enabled", "every", "timeout") && c.enabled && c.every > c.timeout)
            add(["every"], `must not exceed ${NS}:culling.timeout (${c.timeout}), ${LATE}`);
    },
);

const IngressOn = rule(
    obj("HTTPS at `host`", {
        enabled: z.literal(true),
        host: required(`is required when ${NS}:ingress.enabled is true (e.g. hub.example.org)`, HOSTNAME).describe("the hub's host name"),
        className: optStr().describe("IngressClass"),
        annotations: strMap().describe("annotations of the Ingress"),
        tlsSecretName: optStr([DNS_NAME, "must be a Secret name"]).describe("an existing kubernetes.io/tls Secret (e.g. from cert-manager)"),
        tlsCert: optStr()
            .refine((c) => c === undefined || PEM_CERT.test(c), "must be a PEM certificate")
            .describe("a PEM certificate whose key is the secret key `ingressTlsKey`; neither this nor `tlsSecretName`: self-signed"),
    }),
    (g, add, ok) => {
        if (ok("tlsCert", "tlsSecretName") && g.tlsCert && g.tlsSecretName) add(["tlsCert"], `and ${NS}:ingress.tlsSecretName ${EXCLUSIVE}`, true);
    },
);
const Ingress = byMode("enabled", [obj("no Ingress: the proxy's Service only", { enabled: z.literal(false).default(false) }), IngressOn]);

const CRON =
    'must be a cron schedule of five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-6) such as "17 2 * * *", or one of @hourly, @daily, @weekly, @monthly, @yearly';
const BACKUPS = "dumps of the hub database and the in-cluster directory into the claim `backups` on the NFS export, kept by `pulumi destroy` like the data";
const Backup = obj(BACKUPS, {
    enabled: bool(true).describe(
        "dump the hub database (mysqldump, in-cluster or external MySQL) and the in-cluster directory (LDIF) on `schedule`, and the database once more before the hub is updated to a new `hub.chartVersion` or `mysql.image` (docs/operations.md)",
    ),
    schedule: text().refine(isCronSchedule, CRON).default("17 2 * * *").describe("when the dumps run: cron, five fields or `@daily` etc."),
    timeZone: text()
        .refine(isTimeZone, 'must be an IANA time zone such as "Etc/UTC" or "Europe/Paris"')
        .default("Etc/UTC")
        .describe("the IANA time zone `schedule` is read in"),
    keep: int({ min: 1, max: 1000 }).default(7).describe("dumps of each kind kept; the oldest go first"),
    storageSize: quantity().default("5Gi").describe("the backup claim's requested size"),
});

const ChartValues = rule(
    z.record(z.string(), z.unknown(), { error: "must be a map of z2jh chart values, e.g. {hub: {allowNamedServers: true}}" }),
    (v, add) => {
        for (const i of chartValueIssues(v)) add(i.path, i.message, true);
    },
);

const ALL_LIMITED =
    "limits every profile to groups (profiles[].groups); leave at least one profile without groups, or users outside them have no server to start";
const secret = (description: string) => z.string({ error: "must be a string secret" }).optional().meta({ shown: "secret" }).describe(description);

/** Every key of the `jupyterhub:` namespace, in the order of Pulumi.yaml and the README. */
export const Sections = z.strictObject({
    namespace: str("jupyterhub", [
        /^(?=.{1,55}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
        "must be a DNS label of at most 55 characters (lower case letters, digits and '-'): the storage namespace beside it adds \"-storage\"",
    ]).describe("namespace of the hub, its database and directory; the in-cluster NFS server and csi-driver-nfs run in `<namespace>-storage`"),
    dataPolicy: oneOf(["retain", "delete"], "retain").describe(
        "`retain`: `pulumi destroy` keeps the namespace and all data (homes, shared, LDAP and MySQL volumes); `delete`: destroy deletes them",
    ),
    skipAwait: bool(false).describe("do not wait for readiness (only for API-server-only test clusters, whose pods never run)"),
    allowUntestedKubernetes: bool(false).describe(
        `deploy to an API server newer than the Kubernetes versions this program is tested on (${KUBE_RANGE}), which the preflight check refuses otherwise`,
    ),
    nfs: NfsWithGroupShares.prefault({}).describe("home and shared storage: on NFS (in the cluster or yours), or on an existing ReadWriteMany StorageClass"),
    ldap: Ldap.prefault({}).describe("the login directory"),
    mysql: Mysql.prefault({}).describe("the hub database"),
    hub: Hub.prefault({}).describe("the Zero to JupyterHub chart and login"),
    singleuser: Singleuser.prefault({}).describe("users' servers"),
    profiles: rule(list(Profile), (ps, add, ok) => {
        const slugs = ps.map((p) => p.slug);
        if (ok("*.slug")) slugs.forEach((s, i) => slugs.indexOf(s) !== i && add([i, "slug"], `"${s}" is used twice; slugs must be unique`, true));
        if (ok("*.default") && ps.filter((p) => p.default).length > 1) add([], "has more than one profile with default: true; mark exactly one", true);
        if (ok("*.groups") && ps.length > 0 && ps.every((p) => p.groups.length > 0)) add([], ALL_LIMITED, true);
    }).describe(
        "server options offered at spawn: `[{slug, displayName, description, default, image, cpuLimit, cpuGuarantee, memoryLimit, memoryGuarantee, gpus, gpuResource, nodeSelector, tolerations: [{key, operator, value, effect}], groups}]`; `groups`: JupyterHub groups whose members alone are offered the profile (at least one profile without); empty: the singleuser settings",
    ),
    culling: Culling.prefault({}).describe("stopping idle servers"),
    ingress: Ingress.prefault({}).describe("HTTPS access"),
    backup: Backup.prefault({}).describe(BACKUPS),
    chartValues: ChartValues.default({}).describe(
        "any other z2jh values, deep-merged over the generated ones last and validated by Helm against the chart's schema at preview, e.g. `pulumi config set --path chartValues.hub.allowNamedServers true`; a value the program sets (its secrets, `hub.db`, the authenticator and LDAP settings, storage wiring, every value a typed key sets) is refused, naming the key to use instead",
    ),
    mysqlPassword: secret("password of an external MySQL server's hub user (`mysql.mode: external`)"),
    ldapBindPassword: secret("password of `ldap.searchUser` (external directory with `ldap.lookupDn`)"),
    ingressTlsKey: secret("PEM private key of `ingress.tlsCert`"),
    registryPassword: secret("password (or token) of `singleuser.registry.username` at `singleuser.registry.server`"),
    dataKey: secret(
        "optional: base64 of 32 random bytes from which the keys the kept data open with are derived (directory users' passwords, the key of the hub's stored auth_state); " +
            "without it they are generated on the first `pulumi up`. Either way they are kept in the Secret `data-key` of the namespace, which `pulumi destroy` keeps with the data " +
            "and the next `pulumi up` reads back; a kept key that differs from this one stops the update, naming both. `scripts/up-dev.sh` sets one for a new stack, else " +
            '`pulumi config set --secret dataKey "$(openssl rand -base64 32)"`',
    ),
});

/** Checks of users' servers across sections: the shared volume beside the home, sudo's image, the registry and its password. */
function userServerChecks(c: z.output<typeof Sections>, add: Add, ok: Ok): void {
    const [su, shared] = [c.singleuser, c.nfs.shared];
    const home = su.homeMountPath;
    if (ok("nfs.mode", "nfs.shared", "singleuser.homeMountPath") && shared.enabled && (shared.mountPath === home || home.startsWith(`${shared.mountPath}/`))) {
        const hidden = `${NS}:singleuser.homeMountPath "${home}" (got ${JSON.stringify(shared.mountPath)}); use e.g. /mnt/shared`;
        add(["nfs", "shared", "mountPath"], `must not hide the home directory, ${hidden}`, true);
    }
    const root = GROUP_SHARES.mountRoot;
    if (ok("nfs.mode", "nfs.groupShares", "singleuser.homeMountPath") && c.nfs.groupShares.length > 0 && (home === root || home.startsWith(`${root}/`))) {
        add(
            ["singleuser", "homeMountPath"],
            `must not be under ${root}, where ${NS}:nfs.groupShares are mounted; use a directory of its own such as "/home/jupyter"`,
        );
    }
    // The images users' servers run, with their keys.
    const profiles = Array.isArray(c.profiles) ? c.profiles : [];
    const images: Array<[string, string]> = [
        ...(ok("singleuser.image") ? [["singleuser.image", su.image] as [string, string]] : []),
        ...profiles.flatMap((p, i): Array<[string, string]> => (ok(`profiles.${i}.image`) && p.image ? [[`profiles[${i}].image`, p.image]] : [])),
    ];
    if (ok("singleuser.grantSudo") && su.grantSudo) {
        for (const [k, image] of images.filter(([, i]) => SAMPLE_IMAGE.test(i))) {
            const why = `${NS}:${k} "${image}" has no such script and would run every server as root`;
            add(
                ["singleuser", "grantSudo"],
                `needs docker-stacks images (e.g. quay.io/jupyter/scipy-notebook), whose start.sh grants sudo and drops from root to the user; ${why}`,
                true,
            );
        }
    }
    const registry = ok("singleuser.registry") ? su.registry : undefined;
    if (registry && ok("singleuser.image") && !images.some(([, i]) => imageRegistry(i) === registry.server)) {
        const from = images.map(([k, i]) => `${NS}:${k} comes from "${imageRegistry(i)}"`).join(", ");
        add(["singleuser", "registry", "server"], `is the registry of none of the images (${from}); name the host the images are pulled from`);
    }
    if (!ok("registryPassword")) return;
    if (su.registry !== undefined && !c.registryPassword) {
        add(["registryPassword"], `is required with ${NS}:singleuser.registry: pulumi config set --secret registryPassword <password>`);
    }
    if (su.registry === undefined && c.registryPassword) {
        add(["registryPassword"], `is only used with ${NS}:singleuser.registry: set the registry's server and username, or remove the secret`, true);
    }
}

const CONTRADICTS = `deletes users' home directories when their volumes go, which contradicts ${NS}:dataPolicy "retain"; use "retain" or "archive", or set dataPolicy to "delete" deliberately`;
const NAME_AUTHENTICATOR = `is required when ${NS}:ldap.mode is "none": name the authenticator (e.g. "dummy" for a throwaway dev hub, or "github")`;

/** The schema of a stack's configuration (checks across sections included) and what the program receives. */
export function configSchema(stack: string) {
    return rule(Sections, (c, add, ok) => {
        const nfs = c.nfs.mode === "storage-class" ? undefined : c.nfs;
        if (ok("dataPolicy", "nfs.onDelete") && c.dataPolicy === "retain" && nfs?.onDelete === "delete") add(["nfs", "onDelete"], CONTRADICTS);
        const db = c.mysql;
        if (ok("mysql", "nfs.homeStorageClass") && db.mode === "in-cluster" && db.storageClass && db.storageClass === nfs?.homeStorageClass) {
            add(["mysql", "storageClass"], "must be block storage, not the NFS home class: MySQL on NFS corrupts under locking");
        }
        if (ok("mysql.mode", "mysqlPassword") && db.mode === "external" && !c.mysqlPassword) {
            add(["mysqlPassword"], `${whenMode("mysql")}: pulumi config set --secret mysqlPassword <password>`);
        }
        userServerChecks(c, add, ok);
        const [l, auth] = [c.ldap, c.hub.authenticatorClass];
        if (ok("ldap.mode", "ldap.groups") && l.mode === "in-cluster") {
            const cns = l.groups.map((g) => g.cn);
            const stranger = notOneOf(add, "ldap.groups", cns);
            if (ok("profiles.*.groups")) c.profiles.forEach((p, i) => p.groups.forEach((g, j) => stranger(["profiles", i, "groups", j], g)));
            if (ok("nfs.mode", "nfs.groupShares")) c.nfs.groupShares.forEach((g, i) => stranger(["nfs", "groupShares", i], g));
        }
        if (!ok("ldap")) return;
        if (ok("ldapBindPassword") && l.mode === "external" && l.lookupDn && !c.ldapBindPassword) {
            add(["ldapBindPassword"], `is required when ${NS}:ldap.lookupDn is true: pulumi config set --secret ldapBindPassword <password>`);
        }
        if (ok("hub.authenticatorClass") && l.mode === "none" && !auth) add(["hub", "authenticatorClass"], NAME_AUTHENTICATOR);
        if (ok("hub.authenticatorClass") && l.mode === "none" && auth === "dummy" && stack === "prod") {
            add(["hub", "authenticatorClass"], 'must not be "dummy" on the prod stack: anyone could log in');
        }
        const ldapLogin = `is only used when ${NS}:ldap.mode is "none"; LDAP login is configured`;
        if (ok("hub.authenticatorClass") && l.mode !== "none" && auth) add(["hub", "authenticatorClass"], ldapLogin);
        const user = notOneOf(add, "ldap.users", l.mode === "in-cluster" ? l.users.map((u) => u.uid) : [], "; an admin must be able to log in");
        if (ok("hub.admins") && l.mode === "in-cluster") c.hub.admins.forEach((a, i) => user(["hub", "admins", i], a));
        const tlsKey = `is required with ${NS}:ingress.tlsCert: pulumi config set --secret ingressTlsKey < tls.key`;
        if (ok("ingress", "ingressTlsKey") && c.ingress.enabled && c.ingress.tlsCert && !c.ingressTlsKey) add(["ingressTlsKey"], tlsKey);
    }).transform(({ mysqlPassword, ldapBindPassword, ingressTlsKey, registryPassword, dataKey, ...c }) => ({
        ...c,
        stack,
        // The one default that depends on another key: deleting data deletes home directories too.
        nfs: c.nfs.mode === "storage-class" ? c.nfs : { ...c.nfs, onDelete: c.nfs.onDelete ?? (c.dataPolicy === "delete" ? "delete" : "retain") },
        /** Which secret keys are set; their values are read separately, as secrets. */
        secretsPresent: present({ mysqlPassword, ldapBindPassword, ingressTlsKey, registryPassword, dataKey }),
    }));
}

export type PlatformConfig = z.output<ReturnType<typeof configSchema>>;
export type DataPolicy = PlatformConfig["dataPolicy"];
export type NfsConfig = PlatformConfig["nfs"];
export type InClusterNfs = Extract<NfsConfig, { mode: "in-cluster" }>;
/** The NFS modes (in-cluster server or an external one), which the NFS storage component takes. */
export type NfsServerConfig = Exclude<NfsConfig, { mode: "storage-class" }>;
/** `nfs.mode: storage-class`: an existing ReadWriteMany StorageClass, no NFS. */
export type ClassStorageConfig = Extract<NfsConfig, { mode: "storage-class" }>;
export type LdapConfig = PlatformConfig["ldap"];
export type InClusterLdap = Extract<LdapConfig, { mode: "in-cluster" }>;
export type ExternalLdap = Extract<LdapConfig, { mode: "external" }>;
export type TlsStrategy = ExternalLdap["tlsStrategy"];
/** Attribute of a group entry that lists its members: user DNs (member, uniqueMember) or login names (memberUid). */
export type GroupMemberAttribute = NonNullable<ExternalLdap["groupMemberAttribute"]>;
export type MySqlConfig = PlatformConfig["mysql"];
export type HubConfig = PlatformConfig["hub"];
export type ProfileConfig = PlatformConfig["profiles"][number];
export type IngressConfig = PlatformConfig["ingress"];
export type BackupConfig = PlatformConfig["backup"];

/** The typed configuration from raw values (`jupyterhub:` keys, parsed from YAML/JSON), or one ConfigError with every problem. */
export function parseConfig(raw: Record<string, unknown>, stack: string): PlatformConfig {
    // null is unset, except inside chartValues, where Helm reads it as "drop the chart's default".
    const { chartValues, ...rest } = raw;
    const input: unknown = {
        ...(JSON.parse(JSON.stringify(rest), (_, v: unknown) => v ?? undefined) as object),
        ...(chartValues === null || chartValues === undefined ? {} : { chartValues: JSON.parse(JSON.stringify(chartValues)) as unknown }),
    };
    const result = configSchema(stack).safeParse(input, { error: defaultMessage });
    if (!result.success) throw new ConfigError(problemLines(result.error.issues, input, Sections, { plaintext: PLAINTEXT, instead: INSTEAD }));
    return result.data;
}

/**
 * Reads every `jupyterhub:` key of the running stack and validates it. Values arrive as strings,
 * objects as JSON; secret keys are only checked for presence (components read them with requireSecret).
 */
export function loadConfig(all: Record<string, string>, stack: string): PlatformConfig {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(all).filter(([k]) => k.startsWith(`${NS}:`))) {
        const k = fullKey.slice(NS.length + 1);
        try {
            raw[k] = (SECRET_KEYS as readonly string[]).includes(k) ? value && "<secret>" : /^\s*[[{]/.test(value) ? (JSON.parse(value) as unknown) : value;
        } catch {
            raw[k] = value;
        }
    }
    return parseConfig(raw, stack);
}

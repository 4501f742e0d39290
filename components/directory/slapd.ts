// slapd, the directory server: the image's layout, the pod's paths and the configuration the
// program writes for it.
import * as crypto from "crypto";

import { type TlsStrategy } from "../../config";
import { LDAP_PORT, LDAPS_PORT } from "./client";
import { sshaHash } from "./passwords";
import { type LdapTree } from "./tree";

/**
 * Where the directory server finds what it needs. In the pod: the symas/openldap image's own
 * files (SYMAS_PATHS; see docs/images.md for where each comes from) and the pod's mounts; in the
 * services test bed, Debian's slapd and a temp directory (the only differences: these paths).
 */
export interface SlapdPaths {
    /** Folder of the schema files core, cosine, inetorgperson and nis (.schema). */
    schemaDir: string;
    /** Folder of the back_mdb module. */
    modulePath: string;
    /** The database (on the claim). */
    dataDir: string;
    /** pid and args files (an emptyDir: the root filesystem is read-only). */
    runDir: string;
    /** The server certificate, its key and the CA (tls.crt, tls.key, ca.crt). */
    tlsDir: string;
    /** The file holding the rootpw line (from the bootstrap Secret). */
    rootPwFile: string;
}

/** The symas/openldap image's layout: Symas's packages under /opt/symas (docs/images.md). */
export const SYMAS = {
    /** slapd itself: Symas's packages install it in lib/ (sbin/slapd is a link to it in this image). */
    slapd: "/opt/symas/lib/slapd",
    /** slapadd, slaptest (links to slapd) and the other slap* tools. */
    sbin: "/opt/symas/sbin",
    /** ldapsearch, ldapmodify, ... */
    bin: "/opt/symas/bin",
    schemaDir: "/opt/symas/etc/openldap/schema",
    modulePath: "/opt/symas/lib/openldap",
} as const;

/** Mounts of the directory's pod, and so the paths its configuration names. */
export const LDAP_MOUNTS = {
    /** The claim. The database is a folder of it, so that a later layout can sit beside it. */
    data: "/var/lib/openldap",
    run: "/run/slapd",
    config: "/etc/openldap-platform",
    tls: "/tls",
    bootstrap: "/bootstrap",
    scripts: "/scripts",
} as const;

/** The pod's paths: the image's files, the claim and the mounted configuration. */
export const POD_SLAPD_PATHS: SlapdPaths = {
    schemaDir: SYMAS.schemaDir,
    modulePath: SYMAS.modulePath,
    dataDir: `${LDAP_MOUNTS.data}/mdb`,
    runDir: LDAP_MOUNTS.run,
    tlsDir: LDAP_MOUNTS.tls,
    rootPwFile: `${LDAP_MOUNTS.config}/rootpw.conf`,
};

/** The schemas the tree needs: inetOrgPerson (cosine, inetorgperson), groupOfNames (core); nis for posix attributes. */
export const LDAP_SCHEMAS = ["core", "cosine", "inetorgperson", "nis"] as const;

/** The largest database the server may grow (mdb's map size; its default is only 10 MiB): the claim's size. */
export function mdbMaxSize(storageSize: string): number {
    const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(storageSize);
    if (!m) return 1024 ** 3;
    const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 }[m[2] as "Ki" | "Mi" | "Gi" | "Ti"] ?? 1;
    return Number(m[1]) * unit;
}

/**
 * The first line of slapd.conf. It names the file the configuration was written in before the
 * directory became a folder (issue 33): the ConfigMap holds slapd.conf, and a pod annotation its
 * digest, so a new text here would change both and restart the directory on upgrade.
 */
const SLAPD_CONF_HEADER = "# The in-cluster directory's configuration, written by the platform program (components/openldap.ts slapdConf).";

/**
 * The directory server's whole configuration (slapd.conf), written by the program: the image is
 * relied on for its binaries, schemas and module only. What it says:
 * - TLS with the program's certificate, TLS 1.2 at least; every operation but StartTLS needs TLS
 *   (`security tls=1`), so plain LDAP is refused even where a plain port is open (before_bind);
 * - no anonymous bind, and nothing but a bind before one (`require authc`);
 * - ACLs: a userPassword is usable for binds (anonymous auth) and writable by its owner, readable
 *   by nobody (the admin, the rootdn, is above ACLs); every other attribute readable by
 *   authenticated users, writable by nobody but the admin;
 * - the mdb database on the claim, the admin as its rootdn, whose password (an {SSHA} hash) is
 *   included from the Secret, so that the server takes the stack's admin password at every start;
 * - the password policy overlay (passwordPolicyLines).
 */
export function slapdConf(tree: Pick<LdapTree, "baseDn" | "adminDn" | "policyDn">, paths: SlapdPaths, opts: { maxSize: number }): string {
    return [
        SLAPD_CONF_HEADER,
        ...LDAP_SCHEMAS.map((s) => `include ${paths.schemaDir}/${s}.schema`),
        `pidfile ${paths.runDir}/slapd.pid`,
        `argsfile ${paths.runDir}/slapd.args`,
        `modulepath ${paths.modulePath}`,
        "moduleload back_mdb",
        "moduleload ppolicy",
        "",
        `TLSCACertificateFile ${paths.tlsDir}/ca.crt`,
        `TLSCertificateFile ${paths.tlsDir}/tls.crt`,
        `TLSCertificateKeyFile ${paths.tlsDir}/tls.key`,
        "TLSProtocolMin 3.3",
        "security tls=1",
        "disallow bind_anon",
        "require authc",
        "sizelimit 500",
        "timelimit 3600",
        "",
        "database mdb",
        `suffix "${tree.baseDn}"`,
        `rootdn "${tree.adminDn}"`,
        `include ${paths.rootPwFile}`,
        `directory ${paths.dataDir}`,
        `maxsize ${opts.maxSize}`,
        "index objectClass eq",
        "index uid,cn,member eq",
        ...passwordPolicyLines(tree.policyDn),
        "access to attrs=userPassword",
        "    by self =w",
        "    by anonymous auth",
        "    by * none",
        "access to *",
        "    by users read",
        "    by * none",
        "",
    ].join("\n");
}

/**
 * The ppolicy overlay: its default policy is the tree's policy entry (tree.ts `policyEntry`: the
 * lockout after `ldap.lockout.maxFailures` failed binds, for `ldap.lockout.duration`). A
 * userPassword a user writes in clear text (an LDAP modify, which `by self =w` allows) is stored
 * hashed ({SSHA}, slapd's default `password-hash`), never as given. A bind to a locked account
 * fails as a wrong password does (49); a client that asks for the password policy control is told
 * the account is locked (`ppolicy_use_lockout`), which the hub asks to say so to the user. The
 * rootdn (the admin, the sync Job) is not subject to it.
 */
export function passwordPolicyLines(policyDn: string): string[] {
    return ["overlay ppolicy", `ppolicy_default "${policyDn}"`, "ppolicy_hash_cleartext", "ppolicy_use_lockout"];
}

/**
 * The rootpw line slapdConf includes: the admin password as an {SSHA} hash, its salt derived from
 * the password itself so that the Secret holding it changes only when the password does.
 */
export function rootPwLine(adminPassword: string): string {
    const salt = crypto.createHash("sha256").update(`jupyterhub-platform/ldap-rootpw/v1\0${adminPassword}`, "utf8").digest().subarray(0, 8);
    return `rootpw ${sshaHash(adminPassword, salt)}\n`;
}

/** The listeners of slapd's -h: LDAPS always, a StartTLS port only when the hub uses before_bind. */
export function slapdUrls(tlsStrategy: TlsStrategy, host = ""): string {
    const ldaps = `ldaps://${host}:${LDAPS_PORT}/`;
    return tlsStrategy === "before_bind" ? `ldap://${host}:${LDAP_PORT}/ ${ldaps}` : ldaps;
}

/** The uid the directory's pods run as: the image's USER (1001); any unprivileged uid would do (docs/images.md). */
export const LDAP_UID = 1001;

/** Annotation of the directory's pod template: a digest of what slapd reads at start only. */
export const CONFIG_DIGEST_ANNOTATION = "platform.jupyterhub.org/config-digest";

/**
 * What CONFIG_DIGEST_ANNOTATION holds: a digest of the configuration, the rootpw line and the
 * certificate, which slapd reads at start only, so that the pod rolls when one changes. A digest
 * (16 hex digits): it reveals none of them.
 */
export function configDigest(conf: string, rootPw: string, certPem: string): string {
    return crypto.createHash("sha256").update(conf).update("\0").update(rootPw).update("\0").update(certPem).digest("hex").slice(0, 16);
}

/** slapd in the foreground (-d stats: connections and operations logged), with the program's configuration. */
export function slapdCommand(slapd: string, conf: string, urls: string): string[] {
    return [slapd, "-d", "stats", "-f", conf, "-h", urls];
}

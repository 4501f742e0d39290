// The directory tree the in-cluster server is bootstrapped with, and its LDIF: the bootstrap
// Secret's files, and whether they fit in one.
import { type InClusterLdap } from "../../config";
import { NS } from "../../lib/schema";
import { ADMIN_PASSWORD_LENGTH, sshaHash, USER_SALT_BYTES } from "./passwords";

/** DNs of the directory tree that the in-cluster server is bootstrapped with. */
export interface LdapTree {
    baseDn: string;
    adminDn: string;
    usersDn: string;
    groupsDn: string;
    /** The password policy entry (ppolicy's default policy, slapd.ts passwordPolicyLines). */
    policyDn: string;
    /** The one bind template that matches every bootstrapped user. */
    bindDnTemplate: string;
    userDn(uid: string): string;
    groupDn(cn: string): string;
}

export function ldapTree(cfg: Pick<InClusterLdap, "baseDn" | "usersOu" | "groupsOu">): LdapTree {
    const usersDn = `ou=${cfg.usersOu},${cfg.baseDn}`;
    const groupsDn = `ou=${cfg.groupsOu},${cfg.baseDn}`;
    return {
        baseDn: cfg.baseDn,
        adminDn: `cn=admin,${cfg.baseDn}`,
        usersDn,
        groupsDn,
        policyDn: `cn=password-policy,${cfg.baseDn}`,
        bindDnTemplate: `uid={username},${usersDn}`,
        userDn: (uid) => `uid=${uid},${usersDn}`,
        groupDn: (cn) => `cn=${cn},${groupsDn}`,
    };
}

/** An LDIF attribute line; values outside RFC 2849's SAFE-STRING are base64-encoded. */
function attr(name: string, value: string): string {
    // SAFE-STRING: ASCII without NUL, CR, LF; not starting with space, ':' or '<'; no trailing space.
    const safe = [...value].every((ch) => ch.charCodeAt(0) < 0x80 && !"\0\r\n".includes(ch)) && !/^[ :<]/.test(value) && !/ $/.test(value);
    return safe ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, "utf8").toString("base64")}`;
}

/** The root entry for a base DN such as dc=example,dc=org or o=Example. */
function baseEntry(cfg: Pick<InClusterLdap, "baseDn" | "organisation">): string[] {
    const [first] = cfg.baseDn.split(",");
    const [type, value] = first.split("=").map((s) => s.trim());
    if (type.toLowerCase() === "dc") {
        return [`dn: ${cfg.baseDn}`, "objectClass: top", "objectClass: dcObject", "objectClass: organization", attr("dc", value), attr("o", cfg.organisation)];
    }
    if (type.toLowerCase() === "o") {
        return [`dn: ${cfg.baseDn}`, "objectClass: top", "objectClass: organization", attr("o", value)];
    }
    return [`dn: ${cfg.baseDn}`, "objectClass: top", "objectClass: organizationalUnit", attr("ou", value)];
}

/**
 * The bootstrap tree's LDIF without the users' password hashes: the text before each user's
 * userPassword line (the last line of the user's entry), and after the last. Every hash has the
 * same length, so the LDIF's size is known before any hash is.
 */
interface TreeDraft {
    /** pieces[i] comes before the password line of uids[i]; the last piece ends the file. */
    pieces: string[];
    uids: string[];
}

function treeDraft(cfg: InClusterLdap, t: LdapTree): TreeDraft {
    const pieces: string[] = [];
    let text = [
        baseEntry(cfg),
        [`dn: ${t.usersDn}`, "objectClass: top", "objectClass: organizationalUnit", attr("ou", cfg.usersOu)],
        [`dn: ${t.groupsDn}`, "objectClass: top", "objectClass: organizationalUnit", attr("ou", cfg.groupsOu)],
        policyEntry(cfg, t),
    ]
        .map((e) => e.join("\n"))
        .join("\n\n");
    for (const u of cfg.users) {
        const entry = [
            `dn: ${t.userDn(u.uid)}`,
            "objectClass: top",
            "objectClass: inetOrgPerson",
            attr("uid", u.uid),
            attr("cn", `${u.givenName} ${u.sn}`),
            attr("givenName", u.givenName),
            attr("sn", u.sn),
            ...(u.mail ? [attr("mail", u.mail)] : []),
        ];
        pieces.push(`${text}\n\n${entry.join("\n")}\n`);
        text = "";
    }
    for (const g of cfg.groups) {
        const entry = [
            `dn: ${t.groupDn(g.cn)}`,
            "objectClass: top",
            "objectClass: groupOfNames",
            attr("cn", g.cn),
            ...g.members.map((m) => attr("member", t.userDn(m))),
        ];
        text += `\n\n${entry.join("\n")}`;
    }
    pieces.push(`${text}\n`);
    return { pieces, uids: cfg.users.map((u) => u.uid) };
}

/** The LDIF of a draft with each user's password line put in. */
function fillTree(draft: TreeDraft, hashes: Record<string, string>): string {
    let out = draft.pieces[0];
    draft.uids.forEach((uid, i) => {
        const hash = hashes[uid];
        if (!hash) throw new Error(`no password hash for LDAP user "${uid}"`);
        out += attr("userPassword", hash) + draft.pieces[i + 1];
    });
    return out;
}

/**
 * The whole bootstrap tree as LDIF: base entry, people and groups OUs, users with salted
 * password hashes, groups (groupOfNames) with their members. `hashes` maps uid to {SSHA} hash.
 */
export function bootstrapLdif(cfg: InClusterLdap, hashes: Record<string, string>): string {
    return fillTree(treeDraft(cfg, ldapTree(cfg)), hashes);
}

/**
 * The policy entry's settings (ppolicy, OpenLDAP 2.5/2.6 schema built into the overlay): lock a
 * user out after `maxFailures` failed binds within `duration` seconds, for `duration` seconds (0:
 * until the admin deletes the user's pwdAccountLockedTime); users may change their own password,
 * checked for nothing (pwdCheckQuality 0: the hub never sees it).
 */
function policySettings(lockout: InClusterLdap["lockout"]): string[] {
    return [
        "pwdAttribute: userPassword",
        `pwdMaxFailure: ${lockout.maxFailures}`,
        "pwdLockout: TRUE",
        `pwdLockoutDuration: ${lockout.duration}`,
        `pwdFailureCountInterval: ${lockout.duration}`,
        "pwdAllowUserChange: TRUE",
        "pwdCheckQuality: 0",
    ];
}

/** The password policy entry, made with the tree (and by the sync Job where it lacks). */
function policyEntry(cfg: InClusterLdap, t: LdapTree): string[] {
    return [
        `dn: ${t.policyDn}`,
        "objectClass: top",
        "objectClass: device",
        "objectClass: pwdPolicy",
        attr("cn", "password-policy"),
        ...policySettings(cfg.lockout),
    ];
}

/** LDIF that makes group membership and the password policy's settings match the config (run after the tree exists). */
export function groupSyncLdif(cfg: InClusterLdap, tree: LdapTree = ldapTree(cfg)): string {
    const policy = [`dn: ${tree.policyDn}`, "changetype: modify", ...policySettings(cfg.lockout).flatMap((l) => [`replace: ${l.split(":")[0]}`, l, "-"])];
    return (
        [policy.join("\n")]
            .concat(
                cfg.groups.map((g) =>
                    [`dn: ${tree.groupDn(g.cn)}`, "changetype: modify", "replace: member", ...g.members.map((m) => attr("member", tree.userDn(m))), "-"].join(
                        "\n",
                    ),
                ),
            )
            .join("\n\n") + "\n"
    );
}

/**
 * The bootstrap Secret's files as the config decides them, written once: everything but the
 * users' hashes and the master key's fingerprint. Its size is known before any secret is
 * (bootstrapSizeProblems); the Secret holds it filled in (fillBootstrap).
 */
export interface BootstrapDraft {
    tree: TreeDraft;
    groupsLdif: string;
    uids: string;
}

export function bootstrapDraft(cfg: InClusterLdap, tree: LdapTree = ldapTree(cfg)): BootstrapDraft {
    return { tree: treeDraft(cfg, tree), groupsLdif: groupSyncLdif(cfg, tree), uids: cfg.users.map((u) => `${u.uid}\n`).join("") };
}

/**
 * The bootstrap Secret's files: the tree (with every user's hash: the sync Job takes the password
 * reset from it too, rather than a second copy of every hash), the group reset, the users to keep,
 * the master's fingerprint.
 */
export function fillBootstrap(draft: BootstrapDraft, hashes: Record<string, string>, fingerprint: string): Record<string, string> {
    return { "tree.ldif": fillTree(draft.tree, hashes), "groups.ldif": draft.groupsLdif, uids: draft.uids, fingerprint };
}

/** The bootstrap Secret's files (fillBootstrap) for a config. */
export function bootstrapFiles(cfg: InClusterLdap, hashes: Record<string, string>, fingerprint: string): Record<string, string> {
    return fillBootstrap(bootstrapDraft(cfg), hashes, fingerprint);
}

/** What a Kubernetes Secret (or ConfigMap) holds at most: 1 MiB of data, all keys together. */
export const SECRET_LIMIT_BYTES = 1024 * 1024;

/** The bootstrap Secret's size: the draft, a hash for each user, a fingerprint (16 hex digits) and the admin's password. */
function bootstrapBytes(draft: BootstrapDraft, adminPasswordLength: number): number {
    const passwordLine = Buffer.byteLength(attr("userPassword", sshaHash("", Buffer.alloc(USER_SALT_BYTES))), "utf8");
    const text = [...draft.tree.pieces, draft.groupsLdif, draft.uids].reduce((sum, f) => sum + Buffer.byteLength(f, "utf8"), 0);
    return adminPasswordLength + text + draft.tree.uids.length * passwordLine + 16;
}

/**
 * Refuses a directory whose bootstrap Secret would not fit in Kubernetes. Its size does not depend
 * on the secrets (hashes and fingerprint have a fixed length), so it is known before anything runs.
 */
export function draftSizeProblems(draft: BootstrapDraft, adminPasswordLength = ADMIN_PASSWORD_LENGTH): string[] {
    const bytes = bootstrapBytes(draft, adminPasswordLength);
    if (bytes <= SECRET_LIMIT_BYTES) return [];
    const users = draft.tree.uids.length;
    const fits = Math.floor((users * SECRET_LIMIT_BYTES) / bytes);
    return [
        `${NS}:ldap.users lists ${users} users, which make the directory's bootstrap data ${Math.ceil(bytes / 1024)} KiB, ` +
            `over the ${SECRET_LIMIT_BYTES / 1024} KiB a Kubernetes Secret holds; bootstrap at most about ${fits} users with these names and groups ` +
            `in-cluster, or use a directory of your own (ldap.mode "external")`,
    ];
}

/** draftSizeProblems for a config. */
export function bootstrapSizeProblems(cfg: InClusterLdap, adminPasswordLength = ADMIN_PASSWORD_LENGTH): string[] {
    return draftSizeProblems(bootstrapDraft(cfg), adminPasswordLength);
}

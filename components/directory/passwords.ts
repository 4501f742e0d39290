// Directory users' passwords: derived from one master key, stored in the directory as salted hashes.
import * as crypto from "crypto";

/**
 * Directory users' passwords, derived from one generated master key instead of one generated
 * password (and salt) per user, so that a stack's size does not grow with its users: a user is a
 * line of the directory's bootstrap data, not two resources.
 *
 * HMAC-SHA256 keyed with the master, over a label naming the purpose and this scheme's version,
 * a NUL and the uid: deterministic (stable across updates), distinct for every user and purpose,
 * and without the master nobody can compute one user's password from another's. Rotating the
 * master (replacing its RandomBytes) changes every user's password at once; the sync Job then
 * sets the new ones in the directory (components/directory/sync.ts). Changing this scheme (the
 * label's version) does the same, once.
 */
const DERIVATION = "jupyterhub-platform/ldap-user/v1";
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** As long as the per-user RandomPassword it replaces: 20 of [A-Za-z0-9], 119 bits. */
export const USER_PASSWORD_LENGTH = 20;
/** Salt of the directory's {SSHA} hash, as long as the per-user RandomBytes it replaces. */
export const USER_SALT_BYTES = 8;
/** The directory admin's generated password: 32 letters and digits. */
export const ADMIN_PASSWORD_LENGTH = 32;

function keyed(master: Buffer, purpose: string, uid: string): Buffer {
    if (master.length < 32) throw new Error(`the user password master key must be at least 32 bytes (got ${master.length})`);
    return crypto.createHmac("sha256", master).update(`${DERIVATION}/${purpose}\0${uid}`, "utf8").digest();
}

/** The user's password: 20 letters and digits from the HMAC (base 62 of its 256 bits: no usable bias). */
export function derivedUserPassword(master: Buffer, uid: string): string {
    let n = BigInt(`0x${keyed(master, "password", uid).toString("hex")}`);
    let out = "";
    for (let i = 0; i < USER_PASSWORD_LENGTH; i++) {
        out += ALPHANUMERIC[Number(n % 62n)];
        n /= 62n;
    }
    return out;
}

/** The salt of the user's password hash: fixed per user, so that the hash, and the Secret holding it, stays the same. */
export function derivedUserSalt(master: Buffer, uid: string): Buffer {
    return keyed(master, "salt", uid).subarray(0, USER_SALT_BYTES);
}

/**
 * Names the master without revealing it (an HMAC of a constant, 16 hex digits): not secret. The
 * sync Job is named after it and records it in the directory, so it knows when to set passwords.
 */
export function masterFingerprint(master: Buffer): string {
    return keyed(master, "fingerprint", "").subarray(0, 8).toString("hex");
}

/** OpenLDAP's salted SHA-1 password scheme, so that plain passwords never enter the directory. */
export function sshaHash(password: string, salt: Buffer): string {
    const digest = crypto.createHash("sha1").update(password, "utf8").update(salt).digest();
    return `{SSHA}${Buffer.concat([digest, salt]).toString("base64")}`;
}

/** Every user's password and its {SSHA} hash, derived from the master key. */
export function userCredentials(master: Buffer, uids: string[]): { passwords: Record<string, string>; hashes: Record<string, string> } {
    const passwords: Record<string, string> = {};
    const hashes: Record<string, string> = {};
    for (const uid of uids) {
        passwords[uid] = derivedUserPassword(master, uid);
        hashes[uid] = sshaHash(passwords[uid], derivedUserSalt(master, uid));
    }
    return { passwords, hashes };
}

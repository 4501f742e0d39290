// What a client of the directory needs: where it is (the one place that names the in-cluster
// directory's address and ports), the CA it is verified with, and the hub authenticator's settings.
import { type ExternalLdap, type GroupMemberAttribute, type InClusterLdap, type TlsStrategy } from "../../config";
import { ldapTree } from "./tree";

/** The in-cluster directory's name: its Service (so its address), Deployment, NetworkPolicy and its pods' app label. */
export const DIRECTORY_NAME = "openldap";
/** The standard ports, which the in-cluster directory's Service serves too: LDAP (StartTLS) and LDAPS. */
export const STANDARD_PORTS = { ldap: 389, ldaps: 636 } as const;
/** The port slapd serves StartTLS on in its pod, only with tlsStrategy before_bind (the Service maps 389 to it). */
export const LDAP_PORT = 1389;
/** The port slapd serves LDAPS on in its pod (the Service maps 636 to it). */
export const LDAPS_PORT = 1636;
/** Where the hub finds the directory's CA certificate. */
export const LDAP_CA_MOUNT = "/etc/jupyterhub/ldap-ca";
/** The in-cluster directory's Secrets: the bootstrap data (with the admin password) and the TLS files (with the CA). */
export const DIRECTORY_SECRETS = { bootstrap: "openldap-bootstrap", tls: "openldap-tls" } as const;

/** The in-cluster directory's address in the cluster. */
export function directoryHost(namespace: string): string {
    return `${DIRECTORY_NAME}.${namespace}.svc.cluster.local`;
}

/** The in-cluster directory's LDAPS URI, as its clients in the cluster (sync Job, backups) dial it. */
export function directoryUri(namespace: string): string {
    return `ldaps://${directoryHost(namespace)}:${STANDARD_PORTS.ldaps}`;
}

/** DNS names the in-cluster directory's certificate is valid for. */
export function ldapCertDnsNames(service: string, namespace: string): string[] {
    return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, "localhost"];
}

/** The port a client dials for a TLS strategy: LDAPS's for on_connect, LDAP's (StartTLS or none) otherwise. */
function standardPort(tlsStrategy: TlsStrategy): number {
    return tlsStrategy === "on_connect" ? STANDARD_PORTS.ldaps : STANDARD_PORTS.ldap;
}

/** What the hub's LDAPAuthenticator needs to know about a directory. */
export interface LdapAuthSettings {
    serverAddress: string;
    port: number;
    tlsStrategy: TlsStrategy;
    bindDnTemplates: string[];
    /** Full group DNs; empty: any user who can bind may log in. */
    allowedGroups: string[];
    lookupDn: boolean;
    userSearchBase?: string;
    userAttribute: string;
    searchUser?: string;
    /** Whether a CA certificate is mounted at LDAP_CA_MOUNT/ca.crt. */
    hasCa: boolean;
    /** The one attribute groups list members in; unset: LDAPAuthenticator's default (any of them). */
    groupMemberAttribute?: GroupMemberAttribute;
    /** The directory's lockout (the in-cluster one's password policy), which the hub names to a locked-out user. */
    lockout?: { duration: number };
}

/** Authenticator settings for the in-cluster directory, derived from the tree it is bootstrapped with. */
export function inClusterAuthSettings(cfg: InClusterLdap, namespace: string): LdapAuthSettings {
    const t = ldapTree(cfg);
    return {
        serverAddress: directoryHost(namespace),
        port: standardPort(cfg.tlsStrategy),
        tlsStrategy: cfg.tlsStrategy,
        bindDnTemplates: [t.bindDnTemplate],
        allowedGroups: cfg.allowedGroups.map((g) => t.groupDn(g)),
        lookupDn: false,
        userAttribute: "uid",
        hasCa: true,
        lockout: { duration: cfg.lockout.duration },
    };
}

/** The password policy response control (draft-behera-ldap-password-policy), which the in-cluster directory answers. */
const PPOLICY_CONTROL = "1.3.6.1.4.1.42.2.27.8.5.1";

/**
 * Python for hub.extraConfig with the in-cluster directory: a locked account's bind fails with
 * invalidCredentials, as a wrong password does, so LDAPAuthenticator 2.0 would show "Invalid
 * username or password". This replaces its get_connection (on the class, so that the directory
 * groups' subclass has it too; the key sorts before theirs) by one that binds once, asking for
 * the password policy control, and answers a locked account (the control's error 1,
 * accountLocked: slapd's `ppolicy_use_lockout`) with a 403 that says so. One bind, so a failure
 * counts once; TLS as LDAPAuthenticator's `tls_strategy` says (on_connect: LDAPS; before_bind:
 * StartTLS; insecure: none), errors opening the connection raised as before.
 */
export function lockedAccountPy(lockout: { duration: number }): string {
    const minutes = Math.ceil(lockout.duration / 60);
    const when =
        lockout.duration > 0
            ? `It unlocks by itself within ${minutes} minute${minutes === 1 ? "" : "s"}, or an administrator can unlock it.`
            : "An administrator can unlock it.";
    const message = `This account is locked after too many failed logins. ${when}`;
    return `# Locked accounts (components/directory/client.ts lockedAccountPy): a 403 that says so.
import ldap3 as _ldap3
from ldapauthenticator import LDAPAuthenticator as _LDAPAuthenticator
from ldapauthenticator.ldapauthenticator import TlsStrategy as _TlsStrategy
from tornado.web import HTTPError as _HTTPError

_PPOLICY = ${JSON.stringify(PPOLICY_CONTROL)}
_LOCKED_MESSAGE = ${JSON.stringify(message)}


def _ppolicy_error(result):
    # PasswordPolicyResponseValue: SEQUENCE { warning [0] OPTIONAL, error [1] ENUMERATED OPTIONAL }
    value = ((result.get("controls") or {}).get(_PPOLICY) or {}).get("value") or b""
    i = 2
    while i + 1 < len(value):
        tag, size = value[i], value[i + 1]
        if tag == 0x81 and size == 1:
            return value[i + 2]
        i += 2 + size
    return None


def _get_connection(self, userdn, password):
    server = _ldap3.Server(
        self.server_address,
        port=self.server_port,
        use_ssl=self.tls_strategy == _TlsStrategy.on_connect,
        tls=_ldap3.Tls(**self.tls_kwargs),
    )
    conn = _ldap3.Connection(server, user=userdn, password=password)
    conn.open()
    if self.tls_strategy == _TlsStrategy.before_bind:
        conn.start_tls()
    if conn.bind(controls=[(_PPOLICY, False, None)]):
        return conn
    locked = _ppolicy_error(conn.result) == 1
    conn.unbind()
    if locked:
        self.log.warning(f"Account locked: {userdn}")
        raise _HTTPError(403, _LOCKED_MESSAGE)
    self.log.debug(f"Failed to bind {userdn}: {conn.result.get('description')}")
    return None


_LDAPAuthenticator.get_connection = _get_connection
`;
}

/** Authenticator settings for an external directory, from config. */
export function externalAuthSettings(cfg: ExternalLdap): LdapAuthSettings {
    return {
        serverAddress: cfg.server,
        port: cfg.port ?? standardPort(cfg.tlsStrategy),
        tlsStrategy: cfg.tlsStrategy,
        bindDnTemplates: cfg.bindDnTemplates,
        allowedGroups: cfg.allowedGroups,
        lookupDn: cfg.lookupDn,
        userSearchBase: cfg.lookupDn ? cfg.baseDn : undefined,
        userAttribute: cfg.userAttribute,
        searchUser: cfg.searchUser,
        hasCa: cfg.caCert !== undefined,
        groupMemberAttribute: cfg.groupMemberAttribute,
    };
}

/** What the authenticator is told for the stack's directory mode; undefined without LDAP. */
export function ldapAuthSettings(cfg: InClusterLdap | ExternalLdap | { mode: "none" }, namespace: string): LdapAuthSettings | undefined {
    if (cfg.mode === "in-cluster") return inClusterAuthSettings(cfg, namespace);
    if (cfg.mode === "external") return externalAuthSettings(cfg);
    return undefined;
}

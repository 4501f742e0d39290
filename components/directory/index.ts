// The in-cluster directory and what its clients need, as the rest of the program uses them.
export { DIRECTORY_NAME, DIRECTORY_SECRETS, directoryUri, LDAP_CA_MOUNT, type LdapAuthSettings, ldapAuthSettings, LDAPS_PORT, lockedAccountPy } from "./client";
export { OpenLdap, type OpenLdapArgs } from "./server";
export { type LdapTree, ldapTree } from "./tree";

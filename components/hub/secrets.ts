// The hub's Secrets: HUB_SECRET, which the chart mounts as hub.existingSecret (the hub's secrets,
// the proxy's token, a values.yaml with the database URL), and the pull credentials of
// singleuser.registry. Pure; the component (jupyterhub.ts) keeps what they return secret.

/**
 * The program's Secret that the chart mounts as `hub.existingSecret`. z2jh reads the hub's
 * secrets from it before its own Secret, and merges its `values.yaml` over the chart values, so
 * no secret is ever a chart value: the values are known at preview, and the first preview of a
 * new stack shows every object of the chart. It also holds the proxy's token, which the hub and
 * the proxy read from here through proxyTokenFromHubSecret.
 */
export const HUB_SECRET = "hub-secrets";

/**
 * The proxy's token: the environment variable both of its readers take it in, and the key of
 * the Secret they take it from (z2jh 4.4.0: jupyterhub/templates/hub/deployment.yaml and
 * proxy/deployment.yaml, each `CONFIGPROXY_AUTH_TOKEN` from `secretKeyRef` of the chart's Secret
 * `hub`, key `hub.config.ConfigurableHTTPProxy.auth_token`). The key is kept in HUB_SECRET, so
 * that z2jh's get_secret_value, which looks in the existing Secret first, would find the same
 * token there.
 */
export const PROXY_TOKEN_ENV = "CONFIGPROXY_AUTH_TOKEN";
export const PROXY_TOKEN_KEY = "hub.config.ConfigurableHTTPProxy.auth_token";
/** The key of HUB_SECRET that z2jh's get_secret_value reads the cookie secret from. */
export const COOKIE_SECRET_KEY = "hub.config.JupyterHub.cookie_secret";

/** The generated and configured secrets the hub reads. */
export interface HubSecretValues {
    /** hub.config.JupyterHub.cookie_secret: 64 hex characters. */
    cookieSecret: string;
    /** hub.config.CryptKeeper.keys: 64 hex characters. */
    cryptKeeperKey: string;
    /** The proxy's token (PROXY_TOKEN_KEY): 64 hex characters. */
    proxyToken: string;
    /** SQLAlchemy URL of the hub database, password included. */
    dbUrl: string;
    /** Password of the external directory's search user (lookup_dn). */
    ldapSearchPassword?: string;
}

/**
 * Data of the hub.existingSecret Secret: the keys z2jh's get_secret_value reads, the proxy's token
 * that the hub and proxy Deployments read (proxyTokenFromHubSecret), and a values.yaml (JSON is
 * YAML) that z2jh merges over the chart values at the hub's start. Pure; the caller keeps the
 * result secret.
 */
export function hubSecretData(s: HubSecretValues): Record<string, string> {
    const hub: Record<string, unknown> = { db: { url: s.dbUrl } };
    if (s.ldapSearchPassword !== undefined) hub.config = { LDAPAuthenticator: { lookup_dn_search_password: s.ldapSearchPassword } };
    return {
        [COOKIE_SECRET_KEY]: s.cookieSecret,
        "hub.config.CryptKeeper.keys": s.cryptKeeperKey,
        [PROXY_TOKEN_KEY]: s.proxyToken,
        "values.yaml": JSON.stringify({ hub }),
    };
}

/** The program's kubernetes.io/dockerconfigjson Secret for singleuser.registry, named by singleuser.image.pullSecrets. */
export const REGISTRY_SECRET = "jupyterhub-registry";

/**
 * The .dockerconfigjson of a registry's credentials, as `kubectl create secret docker-registry`
 * writes it; Docker Hub ("docker.io") under the key `docker login` uses for it. Pure; the caller
 * keeps the result secret.
 */
export function dockerConfigJson(server: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    const key = server === "docker.io" ? "https://index.docker.io/v1/" : server;
    return JSON.stringify({ auths: { [key]: { username, password, auth } } });
}

// The hub: the z2jh chart and the program's Secrets for it. One file a concern: values.ts (the chart
// values), secrets.ts (HUB_SECRET, the registry's credentials), transforms.ts (the proxy's token
// and stable checksums on the chart's objects), chart.ts (where the chart comes from, the local
// chart's checks), jupyterhub.ts (the component).
export { assertLocalChart, CHART_DIR_ENV, chartSource, localChartProblems } from "./chart";
export { hubUrl, ingressTlsSecretName, JupyterHub, type JupyterHubArgs } from "./jupyterhub";
export {
    COOKIE_SECRET_KEY,
    dockerConfigJson,
    HUB_SECRET,
    hubSecretData,
    type HubSecretValues,
    PROXY_TOKEN_ENV,
    PROXY_TOKEN_KEY,
    REGISTRY_SECRET,
} from "./secrets";
export { PROXY_TOKEN_READERS, proxyTokenFromHubSecret, stableChecksums } from "./transforms";
export {
    CORE_RESOURCES,
    grantSudo,
    type HubSections,
    hubValues,
    type HubWiring,
    ldapAuthenticatorConfig,
    overlayValues,
    type SharedMount,
    SUDO_USER,
    type Values,
} from "./values";

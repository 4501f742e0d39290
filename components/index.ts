// What the program (index.ts) uses of the components, by name.
export { Backup } from "./backup";
export { ClusterAccess, storageNamespaceOf } from "./cluster";
export { skipAwaitTransform } from "./common";
export { directoryGroups } from "./groups";
export { assertLocalChart, JupyterHub } from "./hub";
export { MySql } from "./mysql";
export { GROUP_SHARES_CLAIM, NfsStorage, SHARED_CLAIM } from "./storage";
export * from "./openldap";
export { DATA_KEY_MISSING, HubSecrets } from "./secrets";
export { hubPodSecurity } from "./pod-security";

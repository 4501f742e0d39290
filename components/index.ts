// What the program (index.ts) uses of the components, by name.
export { Backup } from "./backup";
export { ClusterAccess, storageNamespaceOf } from "./cluster";
export { clusterArgs } from "./cluster-needs";
export { skipAwaitTransform } from "./common";
export { DataKeys } from "./data-key";
export { ldapAuthSettings, OpenLdap } from "./directory";
export { directoryGroups } from "./groups";
export { assertLocalChart, JupyterHub } from "./hub";
export { MySql } from "./mysql";
export { ClassStorage, GROUP_SHARES_CLAIM, homeClassOf, NfsStorage, SHARED_CLAIM } from "./storage";
export { HubSecrets } from "./secrets";
export { hubPodSecurity } from "./pod-security";

export * from "./cluster";
export * from "./common";
export * from "./groups";
export * from "./jupyterhub";
export * from "./mysql";
export * from "./nfs";
export * from "./openldap";
export * from "./secrets";

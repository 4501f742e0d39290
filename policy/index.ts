// The platform's policy pack: `pulumi preview --policy-pack policy --policy-pack-config policy/config.<stack>.json`.
import { PolicyPack } from "@pulumi/policy";

import { RESOURCE_POLICIES, STACK_POLICIES } from "./rules";

new PolicyPack("jupyterhub-platform", {
    description: "JupyterHub platform rules: limits, pinned images, non-root pods, NetworkPolicies, no secrets in ConfigMaps or env, no unplanned exposure.",
    enforcementLevel: "mandatory",
    policies: [...RESOURCE_POLICIES, ...STACK_POLICIES],
});

// The platform's rules, as plain policy objects: policy/index.ts puts them in the pack, and the
// tests call validateResource/validateStack directly. Every rule reads Kubernetes objects as the
// engine hands them over (inputs for resource rules, outputs for stack rules), so it also applies
// to the objects helm.v4.Chart renders from the z2jh chart. One file a concern: objects.ts (how
// the rules read objects, pods and z2jh's values), pods.ts, network.ts, services.ts, secrets.ts,
// root-start.ts, namespaces.ts, least-privilege.ts.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { namespacesPodSecurity } from "./namespaces";
import { containersLeastPrivilege, podsNoIdleToken, workloadsNetworkPolicies } from "./least-privilege";
import { backendsNetworkPolicies, chartNetworkPolicies, renderedChartNetworkPolicies } from "./network";
import { containerLimits, imagesPinned, podsNonRoot } from "./pods";
import { singleuserRootStart } from "./root-start";
import { noSecretEnvLiterals, noSecretsInConfigMaps } from "./secrets";
import { backendsClusterIpOnly, externalServicesAllowed } from "./services";

export { containersLeastPrivilege, leastPrivilegeFailures, podsNoIdleToken, workloadsNetworkPolicies } from "./least-privilege";
export { namespacesPodSecurity } from "./namespaces";
export { backendsNetworkPolicies, CHART_NETWORK_POLICY_VALUES, chartNetworkPolicies, renderedChartNetworkPolicies, selectorMatches } from "./network";
export { isJupyterHubChart, kindOf, podOf } from "./objects";
export { containerLimits, imageProblem, imagesPinned, podsNonRoot } from "./pods";
export { type RootStartConfig, singleuserRootStart, z2jhValuesOf } from "./root-start";
export { configMapEntryProblem, noSecretEnvLiterals, noSecretsInConfigMaps, secretLikeKey } from "./secrets";
export { BACKEND_SERVICES, backendsClusterIpOnly, type ExternalServicesConfig, externalServicesAllowed } from "./services";

export const RESOURCE_POLICIES: ResourceValidationPolicy[] = [
    containerLimits,
    imagesPinned,
    podsNonRoot,
    chartNetworkPolicies,
    backendsClusterIpOnly,
    externalServicesAllowed,
    noSecretsInConfigMaps,
    noSecretEnvLiterals,
    singleuserRootStart,
    containersLeastPrivilege,
    podsNoIdleToken,
];

export const STACK_POLICIES: StackValidationPolicy[] = [backendsNetworkPolicies, renderedChartNetworkPolicies, namespacesPodSecurity, workloadsNetworkPolicies];

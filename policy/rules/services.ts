// Services: the hub database and the directory stay inside the cluster, and only the Services a
// stack's policy config lists are NodePort or LoadBalancer.
import type { ResourceValidationPolicy } from "@pulumi/policy";

import { chartValues, describe, kindOf, list, type Obj, obj, str, valueAt } from "./objects";

/** `app.kubernetes.io/name` values of the services that only the hub may reach. */
export const BACKEND_SERVICES = ["mysql", "openldap"];

export function backendName(props: Obj): string | undefined {
    const name = str(obj(obj(props.metadata).labels)["app.kubernetes.io/name"]);
    return name !== undefined && BACKEND_SERVICES.includes(name) ? name : undefined;
}

export function isService(type: string): boolean {
    return kindOf(type) === "Service" && type.startsWith("kubernetes:core/");
}

export const backendsClusterIpOnly: ResourceValidationPolicy = {
    name: "mysql-ldap-cluster-ip-only",
    description: "MySQL and OpenLDAP Services are ClusterIP only: no NodePort, LoadBalancer or externalIPs.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!isService(args.type)) return;
        const backend = backendName(args.props);
        if (!backend) return;
        const spec = obj(args.props.spec);
        const type = str(spec.type) ?? "ClusterIP";
        const object = describe("Service", args.props, args.name);
        if (type !== "ClusterIP") {
            report(`${object} (${backend}) has type ${type}; the hub database and directory must stay inside the cluster: use type ClusterIP`);
        }
        if (list(spec.externalIPs).length > 0) {
            report(`${object} (${backend}) has externalIPs ${JSON.stringify(spec.externalIPs)}; remove spec.externalIPs`);
        }
    },
};

export interface ExternalServicesConfig {
    /** Names of the Services that may be NodePort or LoadBalancer on this stack. */
    allowedExternalServices?: string[];
}

const EXTERNAL_TYPES = ["NodePort", "LoadBalancer"];

export const externalServicesAllowed: ResourceValidationPolicy = {
    name: "external-services-allowed",
    description:
        "NodePort and LoadBalancer Services exist only where the stack's policy config lists them (allowedExternalServices). " +
        "For the z2jh chart this includes proxy-public as set by values.proxy.service.type.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedExternalServices: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Service names that may be NodePort or LoadBalancer on this stack.",
            },
        },
    },
    validateResource: (args, report) => {
        const allowed = args.getConfig<ExternalServicesConfig>().allowedExternalServices ?? [];
        const fix = (name: string) =>
            `allow it for this stack with --policy-pack-config (allowedExternalServices: ["${name}"]) or make it ClusterIP and reach it through an ingress`;
        if (isService(args.type)) {
            const type = str(obj(args.props.spec).type);
            const name = str(obj(args.props.metadata).name) ?? args.name;
            if (type && EXTERNAL_TYPES.includes(type) && !allowed.includes(name)) {
                report(`${describe("Service", args.props, args.name)} is ${type}, which this stack does not allow; ${fix(name)}`);
            }
            return;
        }
        // The chart's values set proxy-public's type. Judged here as well, for helm.v3.Release (whose
        // objects the engine never sees) and for runs that see the chart but not its objects.
        const values = chartValues(args);
        const type = values && str(valueAt(values, "proxy.service.type"));
        if (type && EXTERNAL_TYPES.includes(type) && !allowed.includes("proxy-public")) {
            report(
                `Chart "${args.name}": values.proxy.service.type ${type} exposes Service "proxy-public", which this stack does not allow; ${fix("proxy-public")}`,
            );
        }
    },
};

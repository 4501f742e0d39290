// Users' servers started as root: only through jupyterhub:singleuser.grantSudo, and only where the
// stack's policy config allows it.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

import * as YAML from "yaml";

import { isMap } from "../../lib/formats";
import { PRIVILEGED_REASON } from "../../lib/pods";
import { chartValues, describe, isChartNameTable, kindOf, list, type Obj, obj, str } from "./objects";

/**
 * z2jh's values as a resource carries them: a Chart's or Release's own values, or the values.yaml
 * that z2jh's rendered hub Secret keeps, which is what a real preview sees of a helm.v4.Chart
 * (the provider registers the Chart itself without inputs).
 */
export function z2jhValuesOf(args: { type: string; name: string; props: Obj }): { values: Obj; object: string } | undefined {
    const fromChart = chartValues(args as ResourceValidationArgs);
    if (fromChart) return { values: fromChart, object: `Chart "${args.name}"` };
    if (kindOf(args.type) !== "Secret" || !args.type.startsWith("kubernetes:core/") || !isChartNameTable(args.props)) return undefined;
    const encoded = str(obj(args.props.data)["values.yaml"]);
    const text = encoded !== undefined ? Buffer.from(encoded, "base64").toString("utf8") : str(obj(args.props.stringData)["values.yaml"]);
    if (text === undefined) return undefined;
    try {
        const values: unknown = YAML.parse(text);
        return isMap(values) ? { values, object: `${describe("Secret", args.props, args.name)} (the chart's values)` } : undefined;
    } catch {
        return undefined;
    }
}

/** The user the docker-stacks drop goes to, or undefined when the values do not set it up. */
function grantSudoUser(values: Obj): number | undefined {
    const su = obj(values.singleuser);
    const env = obj(su.extraEnv);
    const uid = Number(env.NB_UID);
    const reason = str(obj(su.extraAnnotations)[PRIVILEGED_REASON]);
    return env.GRANT_SUDO === "yes" && Number.isInteger(uid) && uid > 0 && reason !== undefined && reason.trim() !== "" ? uid : undefined;
}

/**
 * What in z2jh's values starts users' servers as root or lets them gain privileges, each with
 * whether jupyterhub:singleuser.grantSudo sets it (singleuser.uid 0, allowPrivilegeEscalation).
 */
function rootStarts(values: Obj): Array<{ what: string; sudo: boolean }> {
    const su = obj(values.singleuser);
    const spawner = obj(obj(obj(values.hub).config).KubeSpawner);
    const out: Array<{ what: string; sudo: boolean }> = [];
    if (su.uid === 0) out.push({ what: "singleuser.uid 0", sudo: true });
    if (su.allowPrivilegeEscalation === true) out.push({ what: "singleuser.allowPrivilegeEscalation true", sudo: true });
    if (obj(obj(su.extraPodConfig).securityContext).runAsUser === 0) out.push({ what: "singleuser.extraPodConfig.securityContext.runAsUser 0", sudo: false });
    if (spawner.uid === 0) out.push({ what: "hub.config.KubeSpawner.uid 0", sudo: false });
    if (spawner.allow_privilege_escalation === true) out.push({ what: "hub.config.KubeSpawner.allow_privilege_escalation true", sudo: false });
    const containerSc = obj(obj(spawner.extra_container_config).securityContext);
    if (containerSc.runAsUser === 0) out.push({ what: "hub.config.KubeSpawner.extra_container_config.securityContext.runAsUser 0", sudo: false });
    if (containerSc.privileged === true) out.push({ what: "hub.config.KubeSpawner.extra_container_config.securityContext.privileged true", sudo: false });
    list(su.profileList).forEach((p, i) => {
        const o = obj(obj(p).kubespawner_override);
        if (o.uid === 0) out.push({ what: `singleuser.profileList[${i}].kubespawner_override.uid 0`, sudo: false });
        if (o.allow_privilege_escalation === true)
            out.push({ what: `singleuser.profileList[${i}].kubespawner_override.allow_privilege_escalation true`, sudo: false });
    });
    return out;
}

export interface RootStartConfig {
    /** Whether users' servers may start as root for jupyterhub:singleuser.grantSudo on this stack. */
    allowGrantSudo?: boolean;
}

export const singleuserRootStart: ResourceValidationPolicy = {
    name: "singleuser-root-start",
    description:
        "Users' servers (z2jh values) start as root or may gain privileges only through jupyterhub:singleuser.grantSudo, whose docker-stacks setup " +
        `(GRANT_SUDO=yes, NB_UID > 0, the ${PRIVILEGED_REASON} annotation) drops them to the user, and only where the stack's policy config sets allowGrantSudo.`,
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowGrantSudo: {
                type: "boolean",
                default: false,
                description: "Users' servers may start as root to grant their user sudo (jupyterhub:singleuser.grantSudo) on this stack.",
            },
        },
    },
    validateResource: (args, report) => {
        const found = z2jhValuesOf(args);
        if (!found) return;
        const starts = rootStarts(found.values);
        if (starts.length === 0) return;
        const uid = grantSudoUser(found.values);
        const outside = starts.filter((s) => !s.sudo || uid === undefined);
        if (outside.length > 0) {
            report(
                `${found.object}: users' servers start as root or may gain privileges (${outside.map((s) => s.what).join(", ")}) without jupyterhub:singleuser.grantSudo's ` +
                    `drop to the user (GRANT_SUDO=yes, NB_UID > 0, annotation ${PRIVILEGED_REASON}), so notebooks would run as root; ` +
                    `remove these values and set jupyterhub:singleuser.grantSudo, the only root start this pack allows`,
            );
            return;
        }
        if (args.getConfig<RootStartConfig>().allowGrantSudo !== true) {
            report(
                `${found.object}: users' servers start as root (${starts.map((s) => s.what).join(", ")}) for jupyterhub:singleuser.grantSudo, which this stack does not allow: ` +
                    `the root start only lets docker-stacks' start.sh grant sudo before it runs the server as uid ${uid}, but sudo then makes every user root in their server; ` +
                    `set jupyterhub:singleuser.grantSudo to false, or allow it for this stack with --policy-pack-config (singleuser-root-start: {allowGrantSudo: true})`,
            );
        }
    },
};

// The transforms helm.v4.Chart applies to the chart's objects: the proxy's token read from
// HUB_SECRET (proxyTokenFromHubSecret), and pod checksums that change only when something they
// stand for does (stableChecksums).
import * as crypto from "node:crypto";

import * as pulumi from "@pulumi/pulumi";

import { transformOpts } from "../common";
import { HUB_SECRET, PROXY_TOKEN_ENV, PROXY_TOKEN_KEY } from "./secrets";
import type { Values } from "./values";

/** The parts of a Deployment that the chart's transforms read and write. */
interface EnvVar {
    name?: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name?: string; key?: string } };
}
interface PodTemplate {
    metadata?: { annotations?: Record<string, pulumi.Input<string>> };
    spec?: { containers?: Array<{ name?: string; env?: EnvVar[] }> };
}
interface DeploymentProps {
    metadata?: { name?: string };
    spec?: { template?: PodTemplate };
}

/** The chart's Deployments that read the proxy's token (z2jh 4.4.0, see PROXY_TOKEN_ENV). */
export const PROXY_TOKEN_READERS = ["hub", "proxy"];

/**
 * Points CONFIGPROXY_AUTH_TOKEN of the hub and the proxy at HUB_SECRET, where the program keeps
 * the token it generates (HubSecrets), instead of at the chart's Secret `hub`.
 *
 * Why the reference moves, rather than the chart's Secret getting the program's token: z2jh reads
 * this one secret only from its own Secret "to avoid using the lookup function on the user managed
 * k8s Secret" (hub/deployment.yaml), a reason that does not hold where the program owns the
 * existing Secret. That Secret is the program's resource, made from the token's Output and secret
 * from end to end like every other generated hub secret. The chart's Secret is rendered by the
 * provider: the token would have to be written, inside a transform, into data that the provider
 * marks secret as a whole (pulumi-kubernetes v4.32.0 provider/pkg/provider/yaml/v2/yaml.go) and
 * that also carries the values.yaml the policy pack reads. The chart's Secret keeps a token z2jh
 * generates for itself (as it keeps a cookie secret and a CryptKeeper key); nothing reads it.
 *
 * A reader found taking the token some other way (a later chart) stops the run, naming the
 * Deployment, rather than reading a token the other side does not know.
 */
export function proxyTokenFromHubSecret(): pulumi.ResourceTransform {
    return (args) => {
        if (args.type !== "kubernetes:apps/v1:Deployment") return undefined;
        const props = args.props as DeploymentProps;
        const name = props.metadata?.name ?? "";
        const template = props.spec?.template ?? {};
        const problems: string[] = [];
        let pointed = 0;
        const containers = (template.spec?.containers ?? []).map((c) => {
            if (!c.env?.some((e) => e.name === PROXY_TOKEN_ENV)) return c;
            const env = c.env.map((e) => {
                const ref = e.valueFrom?.secretKeyRef;
                if (e.name !== PROXY_TOKEN_ENV) return e;
                if (ref?.key !== PROXY_TOKEN_KEY) {
                    problems.push(`container ${c.name ?? "?"} sets ${PROXY_TOKEN_ENV} otherwise than from the key ${PROXY_TOKEN_KEY} of a Secret`);
                    return e;
                }
                pointed++;
                return { ...e, valueFrom: { ...e.valueFrom, secretKeyRef: { ...ref, name: HUB_SECRET } } };
            });
            return { ...c, env };
        });
        if (pointed === 0 && problems.length === 0) {
            if (!PROXY_TOKEN_READERS.includes(name)) return undefined;
            problems.push(`no container reads ${PROXY_TOKEN_ENV} from the key ${PROXY_TOKEN_KEY} of a Secret`);
        }
        if (problems.length > 0) {
            throw new Error(
                `the chart's Deployment "${name}" does not read the proxy's token as z2jh 4.4.0 does (${problems.join("; ")}): ` +
                    "components/hub/transforms.ts proxyTokenFromHubSecret must learn this chart version's way",
            );
        }
        const spec = { ...props.spec, template: { ...template, spec: { ...template.spec, containers } } };
        return { props: { ...args.props, spec }, opts: transformOpts(args.opts) };
    };
}

/**
 * z2jh's pod checksums, made deterministic, and the proxy token's made the program's. The chart
 * evaluates its generate-or-lookup secrets (its own proxy token, cookie secret and CryptKeeper
 * key, all unused beside HUB_SECRET) once per use: in the first render the Secret and the
 * checksums of the hub and proxy pods get different random values, so the next preview would roll
 * both for nothing. The hub's checksum/secret becomes a digest of the values (what the chart's
 * Secret carries besides those secrets, which `lookup` then keeps). The proxy's
 * checksum/auth-token, and the same annotation on the hub, become `tokenFingerprint`, the
 * fingerprint of the program's token (proxyTokenFingerprint): a new token rolls both, and only
 * them; the same token changes nothing.
 */
export function stableChecksums(values: Values, chartVersion: string, tokenFingerprint: pulumi.Input<string>): pulumi.ResourceTransform {
    const digest = crypto
        .createHash("sha256")
        .update(JSON.stringify([chartVersion, values]))
        .digest("hex");
    const fixed: Record<string, Record<string, pulumi.Input<string>>> = {
        hub: { "checksum/secret": digest, "checksum/auth-token": tokenFingerprint },
        proxy: { "checksum/auth-token": tokenFingerprint },
    };
    return (args) => {
        if (args.type !== "kubernetes:apps/v1:Deployment") return undefined;
        const props = args.props as DeploymentProps;
        const change = fixed[props.metadata?.name ?? ""];
        if (!change || !props.spec?.template) return undefined;
        const template = props.spec.template;
        const annotations = { ...template.metadata?.annotations, ...change };
        const spec = { ...props.spec, template: { ...template, metadata: { ...template.metadata, annotations } } };
        return { props: { ...args.props, spec }, opts: transformOpts(args.opts) };
    };
}

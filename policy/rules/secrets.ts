// Secret material only in Secrets: none in ConfigMaps, no credentials as literal env values.
import type { ResourceValidationPolicy } from "@pulumi/policy";

import { credentialEnvName } from "../../lib/pods";
import { describe, isChartNameTable, kindOf, list, obj, podPolicy, str } from "./objects";

/** A PEM private key of any kind (PKCS#8, RSA, EC, OpenSSH, encrypted). */
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PEM_PUBLIC = /-----BEGIN (CERTIFICATE|PUBLIC KEY|X509 CRL|TRUSTED CERTIFICATE)-----/;
/** Words in a data key that say its value is a credential. */
const SECRET_WORDS = new Set(["password", "passwd", "pwd", "token", "secret", "key", "apikey", "credential", "credentials"]);

/** "hub-password", "apiKey", "MYSQL_ROOT_PASSWORD", "tls.key" → true; "keycloak-url", "ca.crt" → false. */
export function secretLikeKey(key: string): boolean {
    return key
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .split(/[^A-Za-z0-9]+/)
        .some((w) => SECRET_WORDS.has(w.toLowerCase()));
}

/** What in a ConfigMap entry is secret material, or undefined. */
export function configMapEntryProblem(key: string, value: string): string | undefined {
    if (PEM_PRIVATE_KEY.test(value)) return `key "${key}" holds a PEM private key`;
    // A certificate or public key is public material, whatever the key is called.
    if (secretLikeKey(key) && value.trim() !== "" && !PEM_PUBLIC.test(value)) return `key "${key}" looks like a credential`;
    return undefined;
}

/** A Kubernetes object name (DNS-1123 label). */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const noSecretsInConfigMaps: ResourceValidationPolicy = {
    name: "no-secrets-in-configmaps",
    description: "ConfigMaps hold no secret material: no PEM private keys, no values of keys named like password, token, secret or key.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (kindOf(args.type) !== "ConfigMap" || !args.type.startsWith("kubernetes:core/")) return;
        const entries: Array<[string, string]> = [
            ...Object.entries(obj(args.props.data)).map(([k, v]): [string, string] => [k, String(v)]),
            ...Object.entries(obj(args.props.binaryData)).map(([k, v]): [string, string] => [k, Buffer.from(String(v), "base64").toString("latin1")]),
        ];
        const nameTable = isChartNameTable(args.props);
        for (const [k, v] of entries) {
            // z2jh's hub ConfigMap maps each of its objects to its name ("hub-existing-secret":
            // "hub-secrets"): names of Secrets, not their contents.
            if (nameTable && OBJECT_NAME.test(v)) continue;
            const problem = configMapEntryProblem(k, v);
            if (problem) {
                report(
                    `${describe("ConfigMap", args.props, args.name)}: ${problem}; ConfigMaps are readable by anyone who may read the namespace's configuration: ` +
                        `move it to a Secret (stringData) and mount or reference that instead`,
                );
            }
        }
    },
};

export const noSecretEnvLiterals: ResourceValidationPolicy = {
    name: "no-secret-env-literals",
    description:
        "Credentials never appear as literal env values: variables named like PASSWORD, TOKEN, SECRET, PRIVATE_KEY or API_KEY use valueFrom.secretKeyRef or a _FILE variant.",
    enforcementLevel: "mandatory",
    validateResource: podPolicy((pod, report) => {
        for (const { c, label } of pod.containers) {
            for (const e of list(c.env).map(obj)) {
                const name = str(e.name) ?? "";
                if (!credentialEnvName(name)) continue;
                if (e.value === undefined || e.value === null || e.value === "") continue;
                report(
                    `${pod.object}: ${label} sets env ${name} to a literal value, which lands in the object's spec and the state; ` +
                        `use valueFrom.secretKeyRef, or mount the Secret and set ${name}_FILE to the file's path`,
                );
            }
        }
    }),
};

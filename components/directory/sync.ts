// The sync Job: brings a running directory in line with the config after its first start.
import * as crypto from "crypto";

import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

import { type InClusterLdap } from "../../config";
import { DNS_EGRESS, RESTRICTED_CONTAINER, restrictedPod } from "../common";
import { readScript } from "../scripts";
import { LDAP_UID } from "./slapd";
import { type LdapTree } from "./tree";

/** Where the sync Job finds the directory and its files. */
export interface SyncSetup {
    /** LDAPS URI of the directory. */
    uri: string;
    /** The bootstrap Secret's files (bootstrapFiles, plus admin-password). */
    bootstrapDir: string;
    /** CA certificate the directory's certificate is verified with. */
    caFile: string;
}

/** The sync Job's script, in components/scripts/ and in the ConfigMap `openldap-sync`. */
export const SYNC_SCRIPT = "ldap-sync.sh";

/** Where the sync Job's pod mounts its script, the bootstrap Secret and the directory's CA. */
export const SYNC_MOUNTS = { script: "/script", bootstrap: "/bootstrap", tls: "/tls" } as const;

/**
 * Environment of the sync Job's script (components/scripts/ldap-sync.sh), which brings a running
 * directory in line with the config: adds the entries it lacks, sets users' passwords when the
 * master key changed, resets group membership and deletes the people the config no longer lists.
 */
export function syncEnv(tree: LdapTree, where: SyncSetup, resetPasswordsFrom?: string): Record<string, string> {
    return {
        DIRECTORY_URI: where.uri,
        DIRECTORY_BASE_DN: tree.baseDn,
        DIRECTORY_PEOPLE_DN: tree.usersDn,
        DIRECTORY_ADMIN_DN: tree.adminDn,
        BOOTSTRAP_DIR: where.bootstrapDir,
        LDAPTLS_CACERT: where.caFile,
        ...(resetPasswordsFrom === undefined ? {} : { RESET_FROM_KEY: resetPasswordsFrom }),
    };
}

/**
 * The sync Job's name: a digest of the tree's shape (users, groups), of the image and of the
 * script, all known at the first preview. A new script or image is a new Job beside the old one's
 * name, so a program upgrade never has to delete a Job and create one of the same name. The master
 * key is not in it (a new stack's key is not known before it is generated); the Job carries the
 * key's fingerprint in the annotation SYNC_KEY_ANNOTATION and is replaced when it changes.
 */
export function syncJobName(cfg: InClusterLdap, script: string = readScript(SYNC_SCRIPT)): string {
    const digest = crypto
        .createHash("sha256")
        .update(JSON.stringify([cfg.baseDn, cfg.users.map((u) => u.uid), cfg.groups, cfg.image, script]))
        .digest("hex");
    return `openldap-sync-${digest.slice(0, 16)}`;
}

/** Annotation of the sync Job: the fingerprint of the master key its passwords come from. */
export const SYNC_KEY_ANNOTATION = "platform.jupyterhub.org/user-password-key";

/**
 * The sync Job's spec: its script from the ConfigMap `scriptMap`, the bootstrap Secret's files,
 * the directory's CA from the TLS Secret, where things are in `env` (syncEnv).
 */
export function syncJobSpec(p: {
    image: string;
    labels: Record<string, string>;
    env: pulumi.Input<k8s.types.input.core.v1.EnvVar[]>;
    scriptMap: pulumi.Input<string>;
    bootstrapSecret: pulumi.Input<string>;
    tlsSecret: pulumi.Input<string>;
}): k8s.types.input.batch.v1.JobSpec {
    return {
        backoffLimit: 4,
        template: {
            metadata: { labels: p.labels },
            spec: {
                restartPolicy: "OnFailure",
                securityContext: restrictedPod(LDAP_UID),
                // The script talks LDAP to the directory, never to the Kubernetes API.
                automountServiceAccountToken: false,
                containers: [
                    {
                        name: "sync",
                        image: p.image,
                        command: ["sh", `${SYNC_MOUNTS.script}/${SYNC_SCRIPT}`],
                        env: p.env,
                        // Read-only root: the script and the ldap* clients write nothing but to stdout and stderr
                        // (components/scripts/ldap-sync.sh: no file, no here-document).
                        securityContext: RESTRICTED_CONTAINER,
                        volumeMounts: [
                            { name: "script", mountPath: SYNC_MOUNTS.script, readOnly: true },
                            { name: "bootstrap", mountPath: SYNC_MOUNTS.bootstrap, readOnly: true },
                            { name: "tls", mountPath: SYNC_MOUNTS.tls, readOnly: true },
                        ],
                        resources: { limits: { cpu: "200m", memory: "64Mi" }, requests: { cpu: "10m", memory: "16Mi" } },
                    },
                ],
                volumes: [
                    { name: "script", configMap: { name: p.scriptMap } },
                    // The admin's password among them: read by the pod's group only (fsGroup), not by others.
                    { name: "bootstrap", secret: { secretName: p.bootstrapSecret, defaultMode: 0o440 } },
                    { name: "tls", secret: { secretName: p.tlsSecret, items: [{ key: "ca.crt", path: "ca.crt" }] } },
                ],
            },
        },
    };
}

/**
 * The sync Job's NetworkPolicy: nothing reaches it; it reaches the directory's pods (`directory`)
 * on their `ports`, and DNS for the directory's name (syncEnv's URI is the Service's name).
 */
export function syncNetworkPolicySpec(sync: Record<string, string>, directory: Record<string, string>, ports: { port: number }[]) {
    return {
        podSelector: { matchLabels: sync },
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: [DNS_EGRESS, { to: [{ podSelector: { matchLabels: directory } }], ports }],
    };
}

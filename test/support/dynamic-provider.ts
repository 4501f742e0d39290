// A dynamic resource's provider as the engine's Node.js dynamic provider host loads it: the
// serialized text of its `__provider` input, required from a string (the module the host uses),
// then `handler()`. Tests call its methods as the host does, with secrets already stripped.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before } from "node:test";

import type * as pulumi from "@pulumi/pulumi";

import type { Registered } from "./program";
import { reveal } from "./program";

/** The provider of a registered dynamic resource, loaded from its serialized text. */
export function loadProvider(r: Registered): pulumi.dynamic.ResourceProvider {
    const text = r.inputs.__provider;
    if (typeof r.type !== "string" || !r.type.startsWith("pulumi-nodejs:dynamic") || typeof text !== "string")
        throw new Error(`${r.type} ${r.name} is not a dynamic resource with a serialized provider`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the host's own loader (@pulumi/pulumi cmd/dynamic-provider)
    const requireFromString = require("require-from-string") as (code: string) => { handler: () => pulumi.dynamic.ResourceProvider };
    return requireFromString(text).handler();
}

/** The inputs as the host hands them to the provider: no secret wrappers, no serialized provider. */
export function plainInputs(r: Registered): Record<string, unknown> {
    const inputs = reveal(r.inputs) as Record<string, unknown>;
    delete inputs.__provider;
    return inputs;
}

/**
 * A directory holding a stand-in `kubectl` (put it first on PATH): it appends its arguments to
 * `calls` and, for `get <kind> <name> ...`, prints the file `answers/<name>` if there is one, else
 * nothing (kubectl's answer for an object that does not exist under --ignore-not-found).
 */
export function standInKubectl(dir: string): { dir: string; calls: string; answers: string } {
    const answers = path.join(dir, "answers");
    fs.mkdirSync(answers, { recursive: true });
    const calls = path.join(dir, "calls");
    fs.writeFileSync(path.join(dir, "kubectl"), `#!/bin/sh\necho "$*" >> "${calls}"\nif [ -f "${answers}/$3" ]; then cat "${answers}/$3"; fi\n`, {
        mode: 0o755,
    });
    return { dir, calls, answers };
}

/**
 * Makes the stand-in kubectl's cluster hold these Secrets (name: data, as stringData), with the
 * annotations given by name, and no other; forgets its calls.
 */
export function answerSecrets(
    kubectl: { calls: string; answers: string },
    secrets: Record<string, Record<string, string>>,
    annotations: Record<string, Record<string, string>> = {},
): void {
    fs.rmSync(kubectl.answers, { recursive: true, force: true });
    fs.mkdirSync(kubectl.answers);
    fs.rmSync(kubectl.calls, { force: true });
    for (const [name, data] of Object.entries(secrets))
        fs.writeFileSync(
            path.join(kubectl.answers, name),
            JSON.stringify({
                kind: "Secret",
                metadata: { name, annotations: annotations[name] ?? {} },
                data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
            }),
        );
}

/** A stand-in kubectl (standInKubectl) first on PATH for the tests of the calling suite, and gone after them. */
export function standInKubectlOnPath(prefix: string): { dir: string; calls: string; answers: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const oldPath = process.env.PATH;
    before(() => (process.env.PATH = `${dir}:${oldPath}`));
    after(() => {
        process.env.PATH = oldPath;
        fs.rmSync(dir, { recursive: true, force: true });
    });
    return standInKubectl(dir);
}

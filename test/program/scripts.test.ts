// The scripts that run in pods reach the cluster as they are (under mocks, dev and prod stacks):
// every ConfigMap key that names a script holds the text of components/scripts/<key> byte for
// byte, and every container that runs `sh <dir>/<name>` mounts, at <dir>, a ConfigMap holding
// <name>. The files are read here directly, not through components/scripts.ts.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";

import { at, get, ROOT } from "../support/helpers";
import { ProgramRun, reveal, runProgram } from "../support/program";

type Obj = Record<string, unknown>;
type Container = { name: string; command?: string[]; volumeMounts?: Array<{ name: string; mountPath: string }> };
type PodSpec = { containers: Container[]; initContainers?: Container[]; volumes?: Array<{ name: string; configMap?: { name: string } }> };

const DIR = path.join(ROOT, "components", "scripts");
const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".sh"));
const file = (name: string) => fs.readFileSync(path.join(DIR, name), "utf8");

const runs: Record<string, ProgramRun> = {};
before(async () => {
    runs.dev = await runProgram("dev");
    // The secrets test/program/backup-prod.test.ts runs prod with: the same run, made once.
    runs.prod = await runProgram("prod", {}, { mysqlPassword: 'Ext3rnal "MySQL" pw#1', ldapBindPassword: "Search-User-pw-123" });
});

const objects = (run: ProgramRun, kind: string): Obj[] => run.resources.filter((r) => r.type === `kubernetes:${kind}`).map((r) => reveal(r.inputs) as Obj);
const configMaps = (run: ProgramRun): Obj[] => objects(run, "core/v1:ConfigMap");

/** Every pod spec of the program's workloads, named "<Kind>/<name>". */
function podSpecs(run: ProgramRun): Array<[string, PodSpec]> {
    const kinds = ["apps/v1:Deployment", "apps/v1:StatefulSet", "apps/v1:DaemonSet", "batch/v1:Job", "batch/v1:CronJob"];
    return kinds.flatMap((kind) =>
        objects(run, kind).map((o): [string, PodSpec] => [
            `${kind.split(":")[1]}/${String(get(o, "metadata.name"))}`,
            (get(o, "spec.jobTemplate.spec.template.spec") ?? get(o, "spec.template.spec")) as PodSpec,
        ]),
    );
}

describe("program: the scripts that run in pods are the files of components/scripts/", () => {
    it("components/scripts/ holds the scripts", () => {
        assert.deepEqual(files.sort(), [
            "dump-directory.sh",
            "dump-hub-db.sh",
            "ldap-init.sh",
            "ldap-sync.sh",
            "prepare-exports.sh",
            "restore-directory.sh",
            "restore-hub-db.sh",
        ]);
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: every script a ConfigMap holds is its file's text byte for byte`, () => {
            const held = configMaps(runs[stack]).flatMap((cm) =>
                Object.entries((cm.data ?? {}) as Record<string, unknown>).filter(([key]) => key.endsWith(".sh")),
            );
            assert.ok(held.length > 0);
            for (const [key, text] of held) {
                assert.ok(files.includes(key), `${key}: no such file in components/scripts/`);
                assert.ok(Buffer.from(String(text), "utf8").equals(fs.readFileSync(path.join(DIR, key))), `${key} differs from its file`);
            }
            if (stack === "dev") assert.deepEqual([...new Set(held.map(([key]) => key))].sort(), [...files].sort(), "the dev stack ships every script");
        });

        it(`${stack}: every container that runs a script mounts the ConfigMap holding it where it runs it`, () => {
            const run = runs[stack];
            const ran: string[] = [];
            for (const [pod, spec] of podSpecs(run)) {
                for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
                    const [sh, script, ...rest] = c.command ?? [];
                    if (sh !== "sh" || !script?.endsWith(".sh")) continue;
                    const where = `${pod} container ${c.name}`;
                    assert.deepEqual(rest, [], `${where}: settings come from the environment and files, not arguments`);
                    const mount = c.volumeMounts?.find((m) => m.mountPath === path.posix.dirname(script));
                    assert.ok(mount, `${where}: nothing mounted at ${path.posix.dirname(script)}`);
                    const volume = spec.volumes?.find((v) => v.name === mount.name);
                    const cm = configMaps(run).find((o) => get(o, "metadata.name") === volume?.configMap?.name);
                    assert.ok(cm, `${where}: ${mount.name} is not a ConfigMap of the program`);
                    const name = path.posix.basename(script);
                    assert.equal(at(cm, "data", name), file(name), `${where}: ${name} in ConfigMap ${String(get(cm, "metadata.name"))}`);
                    ran.push(name);
                }
            }
            const expected =
                stack === "dev"
                    ? ["dump-directory.sh", "dump-hub-db.sh", "dump-hub-db.sh", "ldap-init.sh", "ldap-sync.sh", "prepare-exports.sh"]
                    : ["dump-hub-db.sh", "dump-hub-db.sh"];
            assert.deepEqual(ran.sort(), expected);
        });
    }
});

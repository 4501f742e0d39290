#!/usr/bin/env node
// After a `pulumi up` that was killed (SIGKILL, a lost machine, a cancelled CI job) on a file
// backend, before the next `pulumi up`:
//
//   node scripts/recover.mjs --stack dev        (npm run recover -- --stack dev)
//
// 1. if the kill cut the state file or its attributes file short while they were being written
//    ("failed to load checkpoint", which `pulumi cancel` stops at too), mends the pair: a whole
//    state file is kept, otherwise the last complete one, which the backend keeps beside it (.bak),
//    is put back;
// 2. removes the dead update's lock (`pulumi cancel`);
// 3. takes into the state the Kubernetes objects the killed update had begun to create: its
//    pending creates, imported by their IDs (namespace/name), which a refresh reads back;
// 4. drops the other pending creates (generated passwords, keys, certificates): `pulumi up`
//    creates them anew.
// Objects the killed update made without the state recording them at all are taken over by the
// next `pulumi up` (the providers create over existing objects once the preflight check has
// shown the namespace is this stack's: components/cluster.ts).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const stackArgs = process.argv.slice(2);
const pulumi = (args, stdio = "pipe") =>
    execFileSync("pulumi", [...args, ...stackArgs, "--non-interactive"], {
        encoding: "utf8",
        maxBuffer: 1 << 30,
        stdio: ["ignore", stdio, stdio === "pipe" ? "pipe" : "inherit"],
    });

/** The stack named by --stack/-s, else the selected one (which loads nothing from the checkpoint). */
function stackName() {
    for (let i = 0; i < stackArgs.length; i++) {
        const [flag, value] = stackArgs[i].split("=", 2);
        if (flag === "--stack" || flag === "-s") return value ?? stackArgs[i + 1];
    }
    return execFileSync("pulumi", ["stack", "--show-name", "--non-interactive"], { encoding: "utf8" }).trim();
}

const parses = (file) => {
    try {
        JSON.parse(fs.readFileSync(file, "utf8"));
        return true;
    } catch {
        return false;
    }
};

/**
 * Runs a command that loads the checkpoint; when a kill cut it short, mends it and runs the command
 * again. `pulumi cancel` loads it too, so it goes through here. On a file backend the checkpoint is
 * two files, both written at every step: `<stack>.json` and the blob store's `<stack>.json.attrs`
 * (its checksum and content type; "failed to load checkpoint: EOF" when a kill emptied it). The
 * backend keeps the previous pair as `.bak` and `.bak.attrs`.
 */
function withCheckpoint(run) {
    try {
        return run();
    } catch (e) {
        if (!/failed to load checkpoint/.test(String(e.stderr ?? e.message))) throw e;
        const url = /Backend URL: (\S+)/.exec(execFileSync("pulumi", ["whoami", "--verbose"], { encoding: "utf8" }))?.[1] ?? "";
        if (!url.startsWith("file://")) throw e;
        const project = /^name:\s*(\S+)/m.exec(fs.readFileSync("Pulumi.yaml", "utf8"))?.[1];
        const file = path.join(new URL(url).pathname, ".pulumi", "stacks", project, `${stackName()}.json`);
        const attrs = `${file}.attrs`;
        if (parses(file) && fs.existsSync(attrs) && !parses(attrs)) {
            // The checkpoint itself is whole: keep it (it holds the killed update's last steps);
            // without its attributes file the store reads it as it is.
            fs.rmSync(attrs);
            console.log(`recover: ${attrs} was cut short (as a kill while the CLI writes it leaves it); removed it, ${file} is whole and kept`);
            return run();
        }
        if (!fs.existsSync(`${file}.bak`)) throw e;
        fs.copyFileSync(`${file}.bak`, file);
        if (fs.existsSync(`${file}.bak.attrs`)) fs.copyFileSync(`${file}.bak.attrs`, attrs);
        else fs.rmSync(attrs, { force: true });
        console.log(
            `recover: ${file} could not be read (cut short, as a kill while the CLI writes it leaves it); restored the last complete checkpoint from ${file}.bak`,
        );
        return run();
    }
}

process.stdout.write(withCheckpoint(() => pulumi(["cancel", "--yes"])));
const { deployment } = withCheckpoint(() => JSON.parse(pulumi(["stack", "export"])));
const imports = [];
for (const op of deployment?.pending_operations ?? []) {
    const r = op.resource;
    if (op.type !== "creating" || !r.custom || !r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:helm.sh")) continue;
    const md = r.inputs?.metadata ?? {};
    if (typeof md.name !== "string") continue;
    imports.push("--import-pending-creates", r.urn, "--import-pending-creates", md.namespace ? `${md.namespace}/${md.name}` : md.name);
}
console.log(`recover: ${deployment?.pending_operations?.length ?? 0} pending operations, ${imports.length / 4} Kubernetes objects to take back`);
pulumi(["refresh", "--yes", "--skip-preview", ...imports, "--clear-pending-creates"], "inherit");
console.log("recover: done; now run `pulumi up`");

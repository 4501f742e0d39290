#!/usr/bin/env node
// After a `pulumi up` that was killed (SIGKILL, a lost machine, a cancelled CI job) on a file
// backend, before the next `pulumi up`:
//
//   node scripts/recover.mjs --stack dev        (npm run recover -- --stack dev)
//
// 1. removes the dead update's lock (`pulumi cancel`);
// 2. takes into the state the Kubernetes objects the killed update had begun to create: its
//    pending creates, imported by their IDs (namespace/name), which a refresh reads back;
// 3. drops the other pending creates (generated passwords, keys, certificates): `pulumi up`
//    creates them anew.
// Without step 2, `pulumi up` would stop at the first of those objects with "already exists".
import { execFileSync } from "node:child_process";

const stackArgs = process.argv.slice(2);
const pulumi = (args, stdio = "pipe") =>
    execFileSync("pulumi", [...args, ...stackArgs, "--non-interactive"], { encoding: "utf8", stdio: ["ignore", stdio, "inherit"] });

pulumi(["cancel", "--yes"], "inherit");
const { deployment } = JSON.parse(pulumi(["stack", "export"]));
const imports = [];
for (const op of deployment.pending_operations ?? []) {
    const r = op.resource;
    if (op.type !== "creating" || !r.custom || !r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:helm.sh")) continue;
    const md = r.inputs?.metadata ?? {};
    if (typeof md.name !== "string") continue;
    imports.push("--import-pending-creates", r.urn, "--import-pending-creates", md.namespace ? `${md.namespace}/${md.name}` : md.name);
}
console.log(`recover: ${deployment.pending_operations?.length ?? 0} pending operations, ${imports.length / 4} Kubernetes objects to take back`);
pulumi(["refresh", "--yes", "--skip-preview", ...imports, "--clear-pending-creates"], "inherit");
console.log("recover: done; now run `pulumi up`");

// Every built stand-in imports into containerd under its real reference, the way a node takes it
// (`ctr -n k8s.io images import`), so that a pod naming that reference starts it as already present.
// A private containerd (its own root, state and socket in a temporary folder) is started for this
// and stopped after. Skipped where containerd or ctr is missing, or images cannot be built here.
import * as assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

import { buildImage, cannotRun } from "../support/image-archive";

const ROOT = path.resolve(__dirname, "..", "..");
const names = spawnSync("bash", [path.join(ROOT, ".ci", "images.sh"), "list"], { encoding: "utf8" })
    .stdout.trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"))
    .map(([name, ref]) => ({ name, ref }));

const why = cannotRun() ?? (spawnSync("sh", ["-c", "command -v containerd && command -v ctr"]).status !== 0 ? "containerd or ctr is missing" : undefined);
if (why) {
    console.log(`images: SKIPPED — ${why}`);
} else {
    describe("the stand-in images in containerd", { timeout: 1_800_000 }, () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-images-containerd-"));
        const sock = path.join(dir, "containerd.sock");
        let daemon: ReturnType<typeof spawn> | undefined;
        const ctr = (...args: string[]) => execFileSync("ctr", ["--address", sock, "--namespace", "k8s.io", ...args], { encoding: "utf8", timeout: 600_000 });

        before(async () => {
            fs.writeFileSync(
                path.join(dir, "config.toml"),
                [`version = 2`, `root = "${dir}/root"`, `state = "${dir}/state"`, `[grpc]`, `  address = "${sock}"`, ""].join("\n"),
            );
            daemon = spawn("containerd", ["--config", path.join(dir, "config.toml")], { stdio: ["ignore", "ignore", "pipe"] });
            for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
            assert.ok(fs.existsSync(sock), "containerd did not start");
        });

        after(async () => {
            if (daemon && daemon.exitCode === null) {
                const exited = new Promise((r) => daemon!.on("exit", r));
                daemon.kill("SIGTERM");
                await exited;
            }
            // Snapshots may leave mounts: unmount them (deepest first) before removing the folder.
            const mounts = execFileSync("findmnt", ["-rn", "-o", "TARGET"], { encoding: "utf8" })
                .split("\n")
                .filter((m) => m.startsWith(`${dir}/`))
                .sort()
                .reverse();
            for (const m of mounts) spawnSync("umount", ["-l", m]);
            fs.rmSync(dir, { recursive: true, force: true });
        });

        for (const { name, ref } of names) {
            it(`${name}: imported and unpacked as ${ref}`, () => {
                const archive = buildImage(name);
                const out = ctr("images", "import", archive);
                assert.match(out, new RegExp(`unpacking ${ref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(sha256:[0-9a-f]{64}\\)\\.\\.\\.done`));
                const refs = ctr("images", "ls", "--quiet").split("\n");
                assert.ok(refs.includes(ref), `${ref} is not among ${refs.join(", ")}`);
            });
        }
    });
}

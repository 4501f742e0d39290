// Root-squashed exports (issue 30, item 3): a home made as csi-driver-nfs's controller makes it
// (os.MkdirAll(dir, 0777), then os.Chmod(dir, mountPermissions) when that is not 0:
// pkg/nfs/controllerserver.go at v4.12.1, docs/images.md) on an export that squashes root, then
// written by a user's pod, with the settings prod uses (Pulumi.prod.yaml).
//
// No kernel NFS here: what stands in is the squash itself. Every operation the controller and the
// kubelet make as root over a root-squashed export reaches the server as the anonymous uid
// 65534, so they run here as 65534 (setpriv) on a local directory; the user's pod runs as the
// prod images' user (uid 1000, group 100, supplementary group 100 from fsGroup). The controller's
// umask is not established (022 here, the usual default).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import { PREPARE_EXPORTS_SCRIPT, prepareExportsEnv, SQUASHED_ROOT } from "../../components/storage";
import { scriptPath } from "../../components/scripts";
import { loadConfig, parseConfig } from "../../config";
import { rawStackConfig, stackConfig } from "../support/helpers";

const canRun = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0;
if (!canRun) console.log("root-squash: SKIPPED — needs root and util-linux's setpriv to act as the squashed and the user's uids");

const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-root-squash-"));
fs.chmodSync(work, 0o755); // the other uids pass through it, as clients reach the export
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** sh -c as uid:gid with exactly these supplementary groups. */
function as(uid: number, gid: number, groups: number[], script: string, env: Record<string, string> = {}) {
    const ids = ["--reuid", String(uid), "--regid", String(gid), ...(groups.length > 0 ? ["--groups", groups.join(",")] : ["--clear-groups"])];
    return spawnSync("setpriv", [...ids, "sh", "-c", script], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", ...env } });
}
const squashed = (script: string, env: Record<string, string>) => as(SQUASHED_ROOT, SQUASHED_ROOT, [], script, env);
/** The controller's CreateVolume on a squashed export: MkdirAll 0777 (umask 022), chmod unless the mode is 0. */
const CREATE = 'umask 022; mkdir -p "$HOME_DIR" && if [ "$MODE" != 0 ] && [ "$MODE" != 0000 ]; then chmod "$MODE" "$HOME_DIR"; fi';
const USER = { uid: 1000, gid: 100, groups: [100] };
const write = (home: string) => as(USER.uid, USER.gid, USER.groups, 'echo hello > "$HOME_DIR/notebook.ipynb"', { HOME_DIR: home });

describe("root-squashed exports: homes writable by users' pods", { skip: !canRun }, () => {
    const prod = parseConfig({ ...rawStackConfig("prod"), mysqlPassword: "<secret>", ldapBindPassword: "<secret>" }, "prod");

    it("an external export (prod's settings): the home the squashed controller makes is the user's to write", () => {
        assert.equal(prod.nfs.mode, "external");
        assert.equal(prod.nfs.mountPermissions, "0777");
        // The one-time preparation Pulumi.prod.yaml names: the export's directory owned by the anonymous uid.
        const root = path.join(work, "external");
        fs.mkdirSync(root, { mode: 0o755 });
        fs.chownSync(root, SQUASHED_ROOT, SQUASHED_ROOT);
        const home = path.join(root, "jupyterhub-claim-alice");
        const made = squashed(CREATE, { HOME_DIR: home, MODE: prod.nfs.mountPermissions });
        assert.equal(made.status, 0, made.stderr);
        assert.equal(fs.statSync(home).mode & 0o7777, 0o777);
        assert.equal(fs.statSync(home).uid, SQUASHED_ROOT, "made as the anonymous uid, as the server would record it");
        const w = write(home);
        assert.equal(w.status, 0, w.stderr);
        // The kubelet's fsGroup (a chgrp as root, squashed) fails; it only logs that (changeFilePermission).
        assert.notEqual(squashed('chgrp 100 "$HOME_DIR"', { HOME_DIR: home }).status, 0);
    });

    it('the defect it fixes: with mountPermissions "0" the same home is not writable by the user', () => {
        const root = path.join(work, "external-0");
        fs.mkdirSync(root, { mode: 0o755 });
        fs.chownSync(root, SQUASHED_ROOT, SQUASHED_ROOT);
        const home = path.join(root, "jupyterhub-claim-alice");
        assert.equal(squashed(CREATE, { HOME_DIR: home, MODE: "0" }).status, 0);
        assert.equal(fs.statSync(home).mode & 0o777, 0o755);
        const w = write(home);
        assert.notEqual(w.status, 0);
        assert.match(w.stderr, /Permission denied/);
    });

    it("the in-cluster server squashed (mountPermissions set): its init container opens the root, and old homes take the mode", () => {
        const base = loadConfig(stackConfig("dev"), "dev").nfs;
        assert.ok(base.mode === "in-cluster");
        const nfs = { ...base, mountPermissions: "0777" };
        const root = path.join(work, "in-cluster");
        fs.mkdirSync(root, { mode: 0o755 });
        const old = path.join(root, "jupyterhub-dev-claim-bob");
        fs.mkdirSync(old, { mode: 0o2775 });
        fs.mkdirSync(path.join(work, "etc-exports"));
        const init = spawnSync("dash", [scriptPath(PREPARE_EXPORTS_SCRIPT)], {
            encoding: "utf8",
            env: { PATH: "/usr/bin:/bin", ...prepareExportsEnv(nfs, root, path.join(work, "etc-exports")) },
        });
        assert.equal(init.status, 0, init.stderr);
        assert.match(fs.readFileSync(path.join(work, "etc-exports", "exports"), "utf8"), /root_squash,anonuid=65534,anongid=65534/);
        const home = path.join(root, "jupyterhub-dev-claim-alice");
        assert.equal(squashed(CREATE, { HOME_DIR: home, MODE: nfs.mountPermissions }).status, 0, "the squashed controller creates in the root");
        for (const h of [home, old]) {
            assert.equal(fs.statSync(h).mode & 0o777, 0o777, h);
            assert.equal(write(h).status, 0, h);
        }
        // The node plugin's chmodIfPermissionMismatch finds no mismatch on the old home: nothing to chmod as 65534.
        assert.equal(fs.statSync(old).mode & 0o777, parseInt(nfs.mountPermissions, 8));
    });
});

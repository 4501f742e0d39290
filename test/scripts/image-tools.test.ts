// The shell the program runs in an image (the backup scripts in the mysql image, the NFS server's
// init script in its image), run by dash and bash with only the programs the image contracts
// (test/support/image-contracts.ts, docs/images.md) say that image has on PATH. Moved from
// test/unit/images.test.ts, which checks the contracts themselves, because it starts processes.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";

import { DUMP_DIRS, hubDbEnv, SCRIPTS } from "../../components/backup";
import { PREPARE_EXPORTS_SCRIPT, prepareExportsEnv } from "../../components/storage";
import { readScript } from "../../components/scripts";
import { loadConfig } from "../../config";
import { stackConfig } from "../support/helpers";
import { runWithImageTools } from "../support/image-checks";
import { MYSQL, NFS_SERVER } from "../support/image-contracts";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-images-test-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));
let scratchCount = 0;
const scratch = () => {
    const d = path.join(work, String(++scratchCount));
    fs.mkdirSync(d);
    return d;
};

describe("the shell the program runs in an image calls only programs that image is known to have", () => {
    const mysqlStubs = {
        mysqldump: 'echo "-- MySQL dump"; echo "-- Dump completed on 2026-01-01"',
        mysql: 'case " $* " in *COUNT*) echo 9 ;; *) cat > /dev/null ;; esac',
        mysqladmin: "exit 0",
    };
    const hubDb = (dir: string) => {
        fs.writeFileSync(path.join(dir, "client.cnf"), "[client]\n");
        return hubDbEnv({ root: path.join(dir, "backups"), defaultsFile: path.join(dir, "client.cnf"), database: "jupyterhub", keep: 2 });
    };

    for (const shell of ["dash", "bash"]) {
        it(`dump-hub-db.sh (${shell}) runs with the mysql image's programs only`, () => {
            const dir = scratch();
            const env = hubDb(dir);
            for (let i = 0; i < 3; i++) {
                const r = runWithImageTools(shell, readScript(SCRIPTS.dumpHubDb), { binaries: MYSQL.binaries, stubs: mysqlStubs, env, dir });
                assert.deepEqual(r.missing, [], r.stderr);
                assert.equal(r.status, 0, r.stderr);
            }
            assert.ok(fs.readdirSync(path.join(env.BACKUP_ROOT, DUMP_DIRS.hubDb)).length >= 1);
        });

        it(`restore-hub-db.sh (${shell}) runs with the mysql image's programs only`, () => {
            const dir = scratch();
            const env = hubDb(dir);
            fs.mkdirSync(path.join(env.BACKUP_ROOT, DUMP_DIRS.hubDb), { recursive: true });
            fs.writeFileSync(path.join(env.BACKUP_ROOT, DUMP_DIRS.hubDb, "hub-db-20260101T000000Z.sql"), "-- MySQL dump\n-- Dump completed on 2026-01-01\n");
            const r = runWithImageTools(shell, readScript(SCRIPTS.restoreHubDb), {
                binaries: MYSQL.binaries,
                stubs: mysqlStubs,
                env,
                dir,
                args: ["hub-db/hub-db-20260101T000000Z.sql"],
            });
            assert.deepEqual(r.missing, [], r.stderr);
            assert.equal(r.status, 0, r.stderr);
        });
    }

    it("a script that calls a program the image lacks fails, and the runner names it", () => {
        const r = runWithImageTools("bash", "set -e\nmkdir -p x\ncurl http://example.org\n", { binaries: MYSQL.binaries, dir: scratch() });
        assert.notEqual(r.status, 0);
        assert.deepEqual(r.missing, ["curl"]);
    });

    it("the NFS server's init script runs with the NFS image's programs only, and leaves the shares mode 0777", () => {
        const dir = scratch();
        const cfg = loadConfig(stackConfig("dev"), "dev");
        const root = path.join(dir, "exports");
        fs.mkdirSync(root);
        assert.ok(cfg.nfs.mode === "in-cluster");
        // Root squashed (a class that sets the mode), so the script's chmod of existing directories runs too.
        fs.mkdirSync(path.join(root, "jupyterhub-claim-alice"), { mode: 0o755 });
        fs.mkdirSync(path.join(dir, "etc-exports"));
        const nfs = { ...cfg.nfs, mountPermissions: "0777" };
        const r = runWithImageTools("sh", readScript(PREPARE_EXPORTS_SCRIPT), {
            binaries: NFS_SERVER.binaries,
            env: prepareExportsEnv(nfs, root, path.join(dir, "etc-exports")),
            dir,
        });
        assert.deepEqual(r.missing, [], r.stderr);
        assert.equal(r.status, 0, r.stderr);
        for (const d of [cfg.nfs.shared.subPath, "groups", "groups/course-101", "jupyterhub-claim-alice", "."]) {
            assert.equal(fs.statSync(path.join(root, d)).mode & 0o777, 0o777, d);
        }
        assert.match(
            fs.readFileSync(path.join(dir, "etc-exports", "exports"), "utf8"),
            /^\/exports \*\(rw,fsid=0,sync,no_subtree_check,root_squash,anonuid=65534,anongid=65534\)\n$/,
        );
    });

    it("the programs the dump scripts use that the mysql image's source does not name are listed as such", () => {
        const inferred = Object.entries(MYSQL.binaries)
            .filter(([, b]) => !b.established)
            .map(([n]) => n)
            .sort();
        // mysqldump (read in an older spec), and the coreutils the scripts use that no source line names.
        assert.deepEqual(inferred, ["mv", "mysqldump", "sort", "tail", "wc"]);
        console.log(`images: mysql:8.4.7 programs the source read does not name (inferred, docs/images.md): ${inferred.join(", ")}`);
    });
});

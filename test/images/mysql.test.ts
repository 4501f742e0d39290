// The MySQL stand-in (images/mysql: MariaDB under mysql:8.4.7) against what the program's StatefulSet,
// probes and dumps rely on (test/support/image-contracts.ts MYSQL; components/mysql.ts; docs/images.md):
// the user and folders, the programs, and the entrypoint run as the pod runs it (uid 999, all
// capabilities dropped, the program's arguments and environment) on a new and on a used data folder.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "node:test";

import { hubDatabaseSql, MYSQL_ARGS, MYSQL_INIT_FILE } from "../../components/mysql";
import { MYSQL } from "../support/image-contracts";
import { containerArgv, describeImage, groups, inRootfs, type OpenedImage, passwd, runInImage, which } from "../support/image-archive";

const MYSQL_GID = MYSQL.user.gid ?? 999;
const POD_USER = `${MYSQL.user.uid}:${MYSQL_GID}`;
const ROOT_PASSWORD = "root'pass\\word";

/** The pod's credentials Secret, mounted at /credentials: root's files, group 999 (fsGroup), mode 0440. */
function mountCredentials(img: OpenedImage, hubPassword: string): void {
    const dir = path.join(img.rootfs, path.dirname(MYSQL_INIT_FILE));
    fs.mkdirSync(dir, { recursive: true });
    const put = (name: string, content: string) => {
        fs.writeFileSync(path.join(dir, name), content);
        fs.chownSync(path.join(dir, name), 0, MYSQL_GID);
        fs.chmodSync(path.join(dir, name), 0o440);
    };
    put(path.basename(MYSQL_INIT_FILE), hubDatabaseSql("jupyterhub", "hub", hubPassword));
    put("root-password", `${ROOT_PASSWORD}\n`);
}

/**
 * Runs the container (entrypoint, the program's args) in the background, waits for the program's
 * readiness probe, runs `check` in the same namespaces, then stops the server with TERM and waits.
 */
function runServer(img: OpenedImage, check: string, env: Record<string, string> = {}) {
    const server = containerArgv(img, { args: MYSQL_ARGS })
        .map((a) => `'${a}'`)
        .join(" ");
    const probe = 'mysqladmin ping -h 127.0.0.1 -uroot -p"$(cat /credentials/root-password)" --silent';
    const script = [
        `${server} > /tmp/server.log 2>&1 &`,
        "pid=$!",
        "ready=1",
        `for i in $(seq 240); do if sh -c '${probe}' 2>/dev/null; then ready=0; break; fi; kill -0 $pid 2>/dev/null || break; sleep 0.5; done`,
        'if [ $ready -ne 0 ]; then echo "never ready" >&2; cat /tmp/server.log >&2; kill $pid 2>/dev/null; exit 1; fi',
        `(${check}); status=$?`,
        "kill -TERM $pid; wait $pid",
        "cat /tmp/server.log",
        "exit $status",
    ].join("\n");
    return runInImage(img, ["bash", "-c", script], {
        user: POD_USER,
        capabilities: [],
        env: { MYSQL_ROOT_PASSWORD_FILE: "/credentials/root-password", MYSQL_INITDB_SKIP_TZINFO: "1", ...env },
        timeoutMs: 300_000,
    });
}

describeImage("mysql", (img) => {
    it("is written under the reference mysql.image names by default", () => {
        assert.equal(img().ref, MYSQL.image);
    });

    it(`has the mysql user ${MYSQL.user.uid}:${MYSQL.user.gid}, home ${MYSQL.dataDir}, and no USER (the entrypoint drops to it)`, () => {
        assert.equal(img().config.User ?? "", "");
        const me = passwd(img()).mysql;
        assert.deepEqual([me?.uid, me?.gid, me?.home], [MYSQL.user.uid, MYSQL.user.gid, MYSQL.dataDir]);
        assert.equal(groups(img()).mysql?.gid, MYSQL.user.gid);
    });

    it("has the entrypoint and command of Dockerfile.oracle, and the data folder as a volume", () => {
        assert.deepEqual(img().config.Entrypoint, MYSQL.entrypoint);
        assert.deepEqual(img().config.Cmd, MYSQL.cmd);
        assert.equal(which(img(), MYSQL.entrypoint[0]), MYSQL.binaries["docker-entrypoint.sh"].path);
        assert.deepEqual(Object.keys(img().config.Volumes ?? {}), [MYSQL.dataDir]);
    });

    it("has the data and socket folders mysql's, mode 1777 (a non-root start writes them as they are)", () => {
        for (const d of [MYSQL.dataDir, path.dirname(MYSQL.socket)]) {
            const st = fs.statSync(inRootfs(img(), d));
            assert.equal(`${st.uid}:${st.gid}`, POD_USER, d);
            assert.equal(st.mode & 0o7777, 0o1777, d);
        }
    });

    it("has every program the contract names, where it names a path, on PATH otherwise", () => {
        for (const [name, b] of Object.entries(MYSQL.binaries)) {
            const found = which(img(), b.path ?? name);
            assert.ok(found, `${name} is missing`);
        }
    });

    it("refuses MYSQL_ROOT_PASSWORD together with MYSQL_ROOT_PASSWORD_FILE", () => {
        mountCredentials(img(), "hub-password-1");
        const r = runInImage(img(), containerArgv(img(), { args: MYSQL_ARGS }), {
            user: POD_USER,
            capabilities: [],
            env: { MYSQL_ROOT_PASSWORD_FILE: "/credentials/root-password", MYSQL_ROOT_PASSWORD: "x" },
        });
        assert.notEqual(r.status, 0);
        assert.match(r.stdout + r.stderr, /MYSQL_ROOT_PASSWORD and MYSQL_ROOT_PASSWORD_FILE are both set/);
    });

    it("starts as uid 999 on a new data folder (lost+found in it): the root password from the file, the hub's database and user from --init-file", () => {
        mountCredentials(img(), "hub-password-1");
        fs.mkdirSync(path.join(img().rootfs, MYSQL.dataDir, "lost+found"), { recursive: true });
        const r = runServer(
            img(),
            [
                "id -u",
                `mysql -h 127.0.0.1 -uhub -phub-password-1 jupyterhub -N -e 'SELECT DATABASE(), @@character_set_server, @@log_bin'`,
                "ls /var/run/mysqld",
            ].join("; "),
        );
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^999$/m);
        assert.match(r.stdout, /^jupyterhub\tutf8mb4\t0$/m);
        assert.match(r.stdout, /mysqld\.sock/);
        assert.ok(fs.existsSync(path.join(img().rootfs, MYSQL.dataDir, "mysql")), "no system tables in the data folder");
    });

    it("starts again on that folder without initialising it, and applies a changed --init-file (the hub's new password)", () => {
        mountCredentials(img(), "hub-password-2");
        const r = runServer(img(), `mysql -h 127.0.0.1 -uhub -phub-password-2 jupyterhub -N -e 'SELECT 1'`);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.doesNotMatch(r.stdout, /initialising/);
    });
});

// The image contracts (test/support/image-contracts.ts) and their checks, without the program:
// each check finds the break it is for in a pod spec written here by hand, and docs/images.md names
// every image and source the contracts do. test/program/images.test.ts checks the rendered pod
// specs; test/scripts/image-tools.test.ts runs the shell the program runs in an image with only the
// programs that image is known to have.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import { LDAP_UID, POD_SLAPD_PATHS, slapdConf, SYMAS } from "../../components/directory/slapd";
import { ldapTree } from "../../components/directory/tree";
import { parseConfig } from "../../config";
import { inMode, ROOT } from "../support/helpers";
import {
    cannotWrite,
    csiControllerProblems,
    csiRbacProblems,
    flagNames,
    hubVolumeProblems,
    mysqlServerProblems,
    nfsServerProblems,
    parseRunNfsArgs,
    singleuserProblems,
} from "../support/image-checks";
import { ALL_CONTRACT_IMAGES, CSI_NFS, CSI_SIDECARS, DOCKER_STACKS, MYSQL, NFS_SERVER, SINGLEUSER_SAMPLE, SYMAS_OPENLDAP } from "../support/image-contracts";

type Obj = Record<string, unknown>;

/** A MySQL pod as the contract wants it: written out here, not derived from the contract. */
function goodMysqlPod(): Obj {
    return {
        securityContext: { runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
        containers: [
            {
                name: "mysql",
                image: "mysql:8.4.7",
                args: ["--disable-log-bin", "--init-file=/credentials/init.sql"],
                env: [{ name: "MYSQL_ROOT_PASSWORD_FILE", value: "/credentials/root-password" }],
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                volumeMounts: [
                    { name: "data", mountPath: "/var/lib/mysql" },
                    { name: "credentials", mountPath: "/credentials", readOnly: true },
                    { name: "init", mountPath: "/docker-entrypoint-initdb.d", readOnly: true },
                ],
                readinessProbe: { exec: { command: ["sh", "-c", "mysqladmin ping"] } },
            },
        ],
        volumes: [
            { name: "data", persistentVolumeClaim: { claimName: "mysql-data" } },
            {
                name: "credentials",
                secret: {
                    secretName: "s",
                    defaultMode: 0o440,
                    items: [
                        { key: "root-password", path: "root-password" },
                        { key: "init.sql", path: "init.sql" },
                    ],
                },
            },
            { name: "init", secret: { secretName: "s", items: [{ key: "init.sql", path: "10-hub.sql" }] } },
        ],
    };
}

const mysqlContainer = (pod: Obj) => (pod.containers as Obj[])[0];

describe("image checks: each finds the break it is for", () => {
    it("MySQL: a pod as the image needs it passes", () => {
        assert.deepEqual(mysqlServerProblems(goodMysqlPod()), []);
    });

    const mysqlBreaks: Array<[string, (pod: Obj) => void, RegExp]> = [
        ["runs as another uid", (p) => ((p.securityContext as Obj).runAsUser = 1001), /runs as 1001:999; the image's mysql user is 999:999/],
        ["overrides the entrypoint", (p) => (mysqlContainer(p).command = ["mysqld"]), /docker-entrypoint\.sh .* never runs/],
        ["passes a non-option argument", (p) => (mysqlContainer(p).args = ["mysqld", "--disable-log-bin"]), /"mysqld" is not a mysqld option/],
        ["keeps the data in the container", (p) => ((p.volumes as Obj[])[0] = { name: "data", emptyDir: {} }), /is not a claim mounted there/],
        ["leaves the claim root-owned", (p) => delete (p.securityContext as Obj).fsGroup, /\/var\/lib\/mysql is on a claim whose root only root may write/],
        [
            "makes the root read-only without a socket directory",
            (p) => ((mysqlContainer(p).securityContext as Obj).readOnlyRootFilesystem = true),
            /\/var\/run\/mysqld is in the image's root filesystem, which is read-only here/,
        ],
        [
            "names a variable the entrypoint does not read",
            (p) => (mysqlContainer(p).env as Obj[]).push({ name: "MYSQL_ROOT_PASS", value: "x" }),
            /MYSQL_ROOT_PASS is not read/,
        ],
        [
            "points a _FILE at nothing mounted",
            (p) => ((mysqlContainer(p).env as Obj[])[0].value = "/run/secrets/pw"),
            /MYSQL_ROOT_PASSWORD_FILE names \/run\/secrets\/pw, which no Secret or ConfigMap mount provides/,
        ],
        ["sets no root password", (p) => (mysqlContainer(p).env = []), /the entrypoint refuses to initialise/],
        [
            "gives the init file to root alone",
            (p) => ((((p.volumes as Obj[])[1].secret as Obj).items as Obj[])[1].mode = 0o400),
            /\/credentials\/init\.sql is mode 400, root's, group 999: uid 999 cannot read it \(--init-file, read at --initialize-insecure, temporary server, every start\)/,
        ],
        [
            "names an init file nothing mounts",
            (p) => (mysqlContainer(p).args = ["--init-file=/etc/mysql/init.sql"]),
            /\/etc\/mysql\/init\.sql is not a file of a Secret or ConfigMap mount/,
        ],
        [
            "mounts the root password where the pod's group cannot read it",
            (p) => delete (p.securityContext as Obj).fsGroup,
            /\/credentials\/root-password is mode 440, root's \(no fsGroup\): uid 999 cannot read it/,
        ],
        [
            "mounts an init file the entrypoint ignores",
            (p) => (((p.volumes as Obj[])[2].secret as Obj).items = [{ key: "init.sql", path: "hub.txt" }]),
            /docker-entrypoint-initdb\.d\/hub\.txt is ignored/,
        ],
        [
            "probes with a program the image lacks",
            (p) => (mysqlContainer(p).readinessProbe = { exec: { command: ["curl", "localhost"] } }),
            /probe runs curl, which the contract does not list/,
        ],
    ];
    for (const [what, breakIt, expected] of mysqlBreaks) {
        it(`MySQL: refused when the pod ${what}`, () => {
            const pod = goodMysqlPod();
            breakIt(pod);
            const problems = mysqlServerProblems(pod);
            assert.ok(
                problems.some((p) => expected.test(p)),
                problems.join("\n") || "no problem found",
            );
        });
    }

    it("writable paths: a read-only mount, a Secret, and the image's own directory under a read-only root are not writable", () => {
        const pod = {
            securityContext: { runAsUser: 999, fsGroup: 999 },
            volumes: [
                { name: "ro", emptyDir: {} },
                { name: "s", secret: { secretName: "x" } },
            ],
        };
        const c = {
            name: "c",
            securityContext: { readOnlyRootFilesystem: true },
            volumeMounts: [
                { name: "ro", mountPath: "/data", readOnly: true },
                { name: "s", mountPath: "/etc/x" },
            ],
        };
        assert.match(String(cannotWrite(pod, c, "/data/sub")), /read-only mount \/data/);
        assert.match(String(cannotWrite(pod, c, "/etc/x")), /Secret volume/);
        assert.match(String(cannotWrite(pod, c, "/var/run/mysqld")), /read-only here/);
        assert.equal(cannotWrite(pod, { ...c, securityContext: {} }, "/var/run/mysqld"), undefined);
    });

    it('run_nfs.sh\'s arguments are read as its getopts "G:" reads them', () => {
        assert.deepEqual(parseRunNfsArgs(["-G", "777", "/exports"]), { options: { G: "777" }, exports: ["/exports"], problems: [] });
        assert.deepEqual(parseRunNfsArgs(["-G777", "/a", "/b"]), { options: { G: "777" }, exports: ["/a", "/b"], problems: [] });
        assert.deepEqual(parseRunNfsArgs(["/exports"]), { options: {}, exports: ["/exports"], problems: [] });
        assert.deepEqual(parseRunNfsArgs(["-m", "0777", "/exports"]).problems, ['run_nfs.sh has no option -m (getopts "G:")']);
    });

    function goodNfsPod(): Obj {
        return {
            initContainers: [
                {
                    name: "prepare-shared",
                    image: NFS_SERVER.image,
                    command: ["sh", "-c", "mkdir -p /exports/shared; echo '/exports 10.0.0.0/24(rw,fsid=0)' > /x/exports"],
                    volumeMounts: [{ name: "exports", mountPath: "/x" }],
                },
            ],
            containers: [
                {
                    name: "nfs-server",
                    image: "registry.k8s.io/e2e-test-images/volume/nfs:1.4",
                    args: ["--"],
                    securityContext: { privileged: true },
                    ports: [{ containerPort: 2049 }, { containerPort: 20048 }, { containerPort: 111 }],
                    volumeMounts: [
                        { name: "data", mountPath: "/exports" },
                        { name: "exports", mountPath: "/etc/exports", subPath: "exports" },
                    ],
                },
            ],
            volumes: [
                { name: "data", persistentVolumeClaim: { claimName: "nfs-server-data" } },
                { name: "exports", emptyDir: {} },
            ],
        };
    }
    const server = (pod: Obj) => (pod.containers as Obj[])[0];

    it("NFS server: a pod as run_nfs.sh needs it passes", () => {
        assert.deepEqual(nfsServerProblems(goodNfsPod()), []);
    });

    const nfsBreaks: Array<[string, (pod: Obj) => void, RegExp]> = [
        ["passes -G 777 (a group id, not a mode)", (p) => (server(p).args = ["-G", "777", "/exports"]), /-G 777 makes every export mode 070, group 777/],
        ["leaves the image's CMD, which exports / as well", (p) => delete server(p).args, /exports \/exports, \/; each is fsid=0/],
        ["exports a directory that is not the claim", (p) => (server(p).args = ["/srv"]), /exports \/srv, which is not the data claim's mount/],
        [
            "exports the claim by argument, as run_nfs.sh does",
            (p) => (server(p).args = ["/exports"]),
            /exports \/exports \*\(rw,fsid=0,insecure,no_root_squash\): any address/,
        ],
        [
            "starts with no export and no /etc/exports of the init container's",
            (p) => ((server(p).volumeMounts as Obj[]).length = 1),
            /exports nothing: no directory argument, and \/etc\/exports is not a file the init container writes/,
        ],
        [
            "mounts the init container's exports read-only there (the init cannot write it)",
            (p) => ((p.initContainers as Obj[])[0].volumeMounts = [{ name: "exports", mountPath: "/x", readOnly: true }]),
            /exports nothing/,
        ],
        ["is not privileged", (p) => (server(p).securityContext = {}), /not privileged; run_nfs\.sh: mount -t nfsd/],
        ["runs as a user", (p) => (server(p).securityContext = { privileged: true, runAsUser: 1000 }), /runs as 1000; run_nfs\.sh needs root/],
        ["has a read-only root", (p) => (server(p).securityContext = { privileged: true, readOnlyRootFilesystem: true }), /run_nfs\.sh writes \/etc\/exports/],
        [
            "prepares the export with a shell the image lacks",
            (p) => ((p.initContainers as Obj[])[0].command = ["zsh", "-c", "true"]),
            /runs zsh, which the contract does not list/,
        ],
    ];
    for (const [what, breakIt, expected] of nfsBreaks) {
        it(`NFS server: refused when the pod ${what}`, () => {
            const pod = goodNfsPod();
            breakIt(pod);
            const problems = nfsServerProblems(pod);
            assert.ok(
                problems.some((p) => expected.test(p)),
                problems.join("\n") || "no problem found",
            );
        });
    }

    function csiController(withResizer: boolean): Obj {
        const sidecar = (name: string, image: string, args: string[]) => ({ name, image, args, volumeMounts: [{ name: "socket-dir", mountPath: "/csi" }] });
        return {
            containers: [
                sidecar("csi-provisioner", CSI_SIDECARS.provisioner.image, ["-v=2", "--csi-address=$(ADDRESS)", "--leader-election"]),
                ...(withResizer ? [sidecar("csi-resizer", CSI_SIDECARS.resizer.image, ["-csi-address=$(ADDRESS)", "-handle-volume-inuse-error=false"])] : []),
                sidecar("liveness-probe", CSI_SIDECARS.liveness.image, ["--csi-address=/csi/csi.sock", "--probe-timeout=3s"]),
                {
                    name: "nfs",
                    image: CSI_NFS.image,
                    args: ["--v=5", "--nodeid=$(NODE_ID)", "--working-mount-dir=/tmp"],
                    securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] } },
                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
            ],
            volumes: [{ name: "tmp", emptyDir: {} }],
        };
    }

    it("csi-driver-nfs controller: the host's network or the kubelet's pods directory, which it does not use, is refused", () => {
        const pod = csiController(true);
        pod.hostNetwork = true;
        ((pod.containers as Obj[])[3].volumeMounts as Obj[]).push({ name: "pods", mountPath: "/var/lib/kubelet/pods", mountPropagation: "Bidirectional" });
        const problems = csiControllerProblems(pod, { expansion: true }).join("\n");
        assert.match(problems, /controller: on the host's network/);
        assert.match(problems, /the controller publishes no volume, yet mounts the kubelet's \/var\/lib\/kubelet\/pods/);
    });

    it("csi-driver-nfs controller: upstream's containers pass; an expandable class without csi-resizer is refused", () => {
        assert.deepEqual(csiControllerProblems(csiController(true), { expansion: true }), []);
        const problems = csiControllerProblems(csiController(false), { expansion: true });
        assert.ok(problems.includes("controller: no csi-resizer container (upstream runs one)"), problems.join("\n"));
        assert.ok(problems.some((p) => /allows volume expansion but no csi-resizer/.test(p)));
    });

    it("csi-driver-nfs controller: a sidecar at another version, an unknown flag, or a read-only working directory is refused", () => {
        const pod = csiController(true);
        const containers = pod.containers as Obj[];
        containers[0].image = "registry.k8s.io/sig-storage/csi-provisioner:v5.2.0";
        (containers[1].args as string[]).push("--leader-election-lease=15s");
        containers[3].securityContext = { ...(containers[3].securityContext as Obj), readOnlyRootFilesystem: true };
        containers[3].volumeMounts = [];
        const problems = csiControllerProblems(pod, { expansion: true }).join("\n");
        assert.match(problems, /csi-provisioner: image .*v5\.2\.0; csi-driver-nfs v4\.12\.1 pins .*csi-provisioner:v5\.3\.0/);
        assert.match(problems, /\/csi-resizer defines no flag -leader-election-lease/);
        assert.match(problems, /container nfs: \/tmp is in the image's root filesystem, which is read-only/);
    });

    it("flag names are read from -x, --x and --x=value", () => {
        assert.deepEqual(flagNames(["-v=2", "--csi-address=$(ADDRESS)", "-leader-election", "value"]), ["v", "csi-address", "leader-election"]);
    });

    it("csi-driver-nfs RBAC: upstream's rules pass; a missing verb and an extra grant are refused", () => {
        const upstream = [...CSI_NFS.provisionerRules, ...CSI_NFS.resizerRules];
        assert.deepEqual(csiRbacProblems(upstream, { resizer: true }), []);
        const missing = csiRbacProblems(CSI_NFS.provisionerRules, { resizer: true });
        assert.ok(missing.includes("controller RBAC: upstream grants /persistentvolumeclaims/status:patch, the program does not"), missing.join("\n"));
        assert.ok(missing.includes("controller RBAC: upstream grants /persistentvolumes:update, the program does not"));
        const extra = csiRbacProblems([...upstream, { apiGroups: [""], resources: ["secrets"], verbs: ["list"] }], { resizer: true });
        assert.deepEqual(extra, ["controller RBAC: /secrets:list is granted beyond upstream's roles"]);
    });

    it("users' servers: the sample image at uid 1000 with its home passes; another uid, home or group is refused", () => {
        const su = { uid: 1000, fsGid: 100, storage: { homeMountPath: "/home/jovyan" } };
        assert.deepEqual(singleuserProblems(su, [SINGLEUSER_SAMPLE.image]), { problems: [], unknown: [] });
        const bad = singleuserProblems({ uid: 1001, storage: { homeMountPath: "/home/jupyter" } }, [SINGLEUSER_SAMPLE.image]).problems.join("\n");
        assert.match(bad, /runs as uid 1001; the image's user jovyan is 1000/);
        assert.match(bad, /mounted at \/home\/jupyter; the image's HOME is \/home\/jovyan/);
        assert.match(bad, /no fsGid/);
        const stacks = singleuserProblems({ ...su, fsGid: 1000 }, [DOCKER_STACKS.images[0]]).problems.join("\n");
        assert.match(stacks, /fsGid\) is 1000; the image's user is in group 100/);
    });

    it("users' servers: a root start needs docker-stacks' start.sh, GRANT_SUDO, NB_USER matching the home, NB_UID:NB_GID 1000:100 and escalation", () => {
        const env = { GRANT_SUDO: "yes", NB_USER: "jupyter", NB_UID: "1000", NB_GID: "100" };
        const su = { uid: 0, fsGid: 100, allowPrivilegeEscalation: true, extraEnv: env, storage: { homeMountPath: "/home/jupyter" } };
        assert.deepEqual(singleuserProblems(su, [DOCKER_STACKS.images[0]]), { problems: [], unknown: [] });
        assert.deepEqual(singleuserProblems(su, ["registry.example.org/own:1"]), { problems: [], unknown: ["registry.example.org/own:1"] });
        const sample = singleuserProblems(su, [SINGLEUSER_SAMPLE.image]).problems.join("\n");
        assert.match(sample, /no start\.sh to drop to a user: every server would run as root/);
        const bad = singleuserProblems({ ...su, allowPrivilegeEscalation: false, extraEnv: { NB_USER: "jovyan", NB_UID: "1001", NB_GID: "100" } }, [
            DOCKER_STACKS.images[0],
        ]).problems.join("\n");
        assert.match(bad, /without GRANT_SUDO=1\|yes/);
        assert.match(bad, /NB_USER jovyan with the home at \/home\/jupyter/);
        assert.match(bad, /NB_UID:NB_GID 1001:100; the image's user is 1000:100/);
        assert.match(bad, /needs allowPrivilegeEscalation/);
    });

    it("hub volumes: a ConfigMap the hub cannot read, or a writable mount, is refused", () => {
        const hub = { extraVolumes: [{ name: "ca", configMap: { name: "ca" } }], extraVolumeMounts: [{ name: "ca", mountPath: "/etc/ca", readOnly: true }] };
        assert.deepEqual(hubVolumeProblems(hub), []);
        const bad = hubVolumeProblems({
            extraVolumes: [{ name: "ca", configMap: { name: "ca", defaultMode: 0o600 } }],
            extraVolumeMounts: [{ name: "ca", mountPath: "/etc/ca" }],
        });
        assert.deepEqual(bad, ["hub volume ca: mode 600 is not readable by the hub's user (1000:1000)", "hub volume ca: mounted writable"]);
    });
});

describe("docs/images.md describes every image the contracts describe", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "images.md"), "utf8");

    it("names every pinned image", () => {
        const missing = ALL_CONTRACT_IMAGES.filter((i) => !doc.includes(`\`${i}\``));
        assert.deepEqual(missing, []);
    });

    it("names the commit of every source read", () => {
        const refs = [
            ...MYSQL.sources.map((s) => s.ref),
            ...NFS_SERVER.sources.map((s) => s.ref),
            CSI_NFS.source.ref,
            ...Object.values(CSI_SIDECARS).map((s) => s.source.ref),
            ...DOCKER_STACKS.sources.map((s) => s.ref),
            ...SYMAS_OPENLDAP.sources.map((s) => s.ref),
        ];
        const commits = refs.flatMap((r) => r.match(/\b[0-9a-f]{40}\b/g) ?? []);
        assert.ok(commits.length >= 10, String(commits.length));
        assert.deepEqual(
            commits.filter((c) => !doc.includes(c)),
            [],
        );
    });

    it("keeps a section for the directory image", () => {
        assert.match(doc, /^## `symas\/openldap:2\.6\.8-debian-12`/m);
    });

    it("symas/openldap: the program's uid, image and module folder are the contract's", () => {
        assert.equal(LDAP_UID, SYMAS_OPENLDAP.user.uid);
        assert.equal(inMode(parseConfig({ ldap: { users: [{ uid: "a" }] } }, "dev").ldap, "in-cluster").image, SYMAS_OPENLDAP.image);
        // /opt/symas is a link to /opt/bitnami/openldap (Symas's post-unpack script, docs/images.md).
        assert.equal(SYMAS.modulePath.replace("/opt/symas", "/opt/bitnami/openldap"), SYMAS_OPENLDAP.modules.dir);
        const conf = slapdConf(ldapTree(inMode(parseConfig({ ldap: { users: [{ uid: "a" }] } }, "dev").ldap, "in-cluster")), POD_SLAPD_PATHS, { maxSize: 1 });
        for (const m of SYMAS_OPENLDAP.modules.loaded) assert.ok(conf.split("\n").includes(`moduleload ${m}`), m);
    });
});

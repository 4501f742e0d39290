// Checks of pod specs against the image contracts of image-contracts.ts. Each returns the
// problems it finds, one line each naming the container, what it does and what the image needs,
// so that a test can show every problem at once (and a test can show that each check fails).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { type Binary, CSI_NFS, CSI_SIDECARS, DOCKER_STACKS, HUB, MYSQL, NFS_SERVER, SINGLEUSER_SAMPLE, type Sidecar } from "./image-contracts";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** The pod spec of a Deployment, StatefulSet, DaemonSet, Job or CronJob (as the program registers it). */
export function podSpec(workload: Obj): Obj {
    const spec = obj(workload.spec);
    const template = spec.jobTemplate ? obj(obj(obj(spec.jobTemplate).spec).template) : obj(spec.template);
    return obj(template.spec);
}

/** A container (or init container) of a pod by name. */
export function containerOf(pod: Obj, name: string): Obj {
    const c = [...list(pod.containers), ...list(pod.initContainers)].find((x) => x.name === name);
    if (!c) throw new Error(`no container ${name} in the pod (${[...list(pod.containers), ...list(pod.initContainers)].map((x) => x.name).join(", ")})`);
    return c;
}

/** uid and gid the container runs as: its securityContext over the pod's; undefined where the image decides. */
export function runsAs(pod: Obj, c: Obj): { uid?: number; gid?: number; fsGroup?: number } {
    const p = obj(pod.securityContext);
    const s = obj(c.securityContext);
    const num = (v: unknown) => (typeof v === "number" ? v : undefined);
    return { uid: num(s.runAsUser) ?? num(p.runAsUser), gid: num(s.runAsGroup) ?? num(p.runAsGroup), fsGroup: num(p.fsGroup) };
}

/** The volume mount that holds a path (the longest mountPath it is under), with its volume. */
export function mountFor(pod: Obj, c: Obj, file: string): { mount: Obj; volume: Obj } | undefined {
    const under = (m: Obj) => {
        const mp = String(m.mountPath).replace(/\/+$/, "");
        return file === mp || file.startsWith(`${mp}/`);
    };
    const mount = list(c.volumeMounts)
        .filter(under)
        .sort((a, b) => String(b.mountPath).length - String(a.mountPath).length)[0];
    if (!mount) return undefined;
    const volume = list(pod.volumes).find((v) => v.name === mount.name) ?? {};
    return { mount, volume };
}

const who = (c: Obj) => `container ${String(c.name)}`;

/**
 * Why the container cannot write `dir`, or undefined when it can: a read-only mount, a Secret or
 * ConfigMap, a claim whose root only root may write (no fsGroup), or the image's own directory
 * under a read-only root filesystem. A directory of the image under a writable root is taken as
 * the contract describes it (its mode is in the contract's note).
 */
export function cannotWrite(pod: Obj, c: Obj, dir: string): string | undefined {
    const m = mountFor(pod, c, dir);
    if (m) {
        if (m.mount.readOnly === true) return `${who(c)}: ${dir} is on the read-only mount ${String(m.mount.mountPath)}`;
        if (m.volume.secret || m.volume.configMap) return `${who(c)}: ${dir} is on a ${m.volume.secret ? "Secret" : "ConfigMap"} volume, which is read-only`;
        if (m.volume.persistentVolumeClaim && runsAs(pod, c).uid !== 0 && runsAs(pod, c).fsGroup === undefined) {
            return `${who(c)}: ${dir} is on a claim whose root only root may write, and the pod sets no fsGroup for uid ${String(runsAs(pod, c).uid)}`;
        }
        return undefined;
    }
    if (obj(c.securityContext).readOnlyRootFilesystem === true) {
        return `${who(c)}: ${dir} is in the image's root filesystem, which is read-only here; mount a writable volume there`;
    }
    return undefined;
}

/** File capabilities the image's binaries carry must survive the container's capability set, or exec fails (EPERM). */
function capabilityProblems(c: Obj, fileCapabilities: string[]): string[] {
    const caps = obj(obj(c.securityContext).capabilities);
    const drop = strings(caps.drop);
    const add = strings(caps.add);
    return fileCapabilities
        .filter((cap) => (drop.includes("ALL") || drop.includes(cap)) && !add.includes(cap))
        .map((cap) => `${who(c)}: the image's binary carries ${cap}, which the container drops (exec would fail with EPERM)`);
}

/** Whether a path is a file the pod mounts from a Secret or ConfigMap (an item's path, or any file of a whole-volume mount). */
function mountedFile(pod: Obj, c: Obj, file: string): boolean {
    const m = mountFor(pod, c, file);
    if (!m) return false;
    const source = obj(m.volume.secret ?? m.volume.configMap);
    const items = list(source.items);
    if (items.length === 0) return Boolean(m.volume.secret ?? m.volume.configMap);
    const rel = path.posix.relative(String(m.mount.mountPath), file);
    return items.some((i) => i.path === rel);
}

/**
 * Why the container's user cannot read a file of a Secret or ConfigMap mount, or undefined when it
 * can. The kubelet writes such files as root, group fsGroup, mode items[].mode, else defaultMode,
 * else 0644.
 */
export function cannotRead(pod: Obj, c: Obj, file: string): string | undefined {
    const m = mountFor(pod, c, file);
    const source = obj(m?.volume.secret ?? m?.volume.configMap);
    if (!m || !mountedFile(pod, c, file)) return `${who(c)}: ${file} is not a file of a Secret or ConfigMap mount`;
    const rel = path.posix.relative(String(m.mount.mountPath), file);
    const item = list(source.items).find((i) => i.path === rel);
    const mode = typeof item?.mode === "number" ? item.mode : typeof source.defaultMode === "number" ? source.defaultMode : 0o644;
    const { uid, fsGroup } = runsAs(pod, c);
    if (uid === 0 || (mode & 0o004) !== 0 || ((mode & 0o040) !== 0 && fsGroup !== undefined)) return undefined;
    return `${who(c)}: ${file} is mode ${mode.toString(8)}, root's${fsGroup === undefined ? " (no fsGroup)" : `, group ${fsGroup}`}: uid ${String(uid)} cannot read it`;
}

// --- MySQL ------------------------------------------------------------------------------------

/** The in-cluster MySQL server's container against the mysql image's entrypoint and layout. */
export function mysqlServerProblems(pod: Obj, name = "mysql"): string[] {
    const c = containerOf(pod, name);
    const problems: string[] = [];
    if (c.image !== MYSQL.image) problems.push(`${who(c)}: image ${String(c.image)}; the contract was read for ${MYSQL.image}`);
    if (c.command !== undefined) problems.push(`${who(c)}: sets command, so docker-entrypoint.sh (initialisation, init files, the root password) never runs`);
    for (const a of strings(c.args)) {
        if (!a.startsWith("--"))
            problems.push(`${who(c)}: argument "${a}" is not a mysqld option: only arguments starting with "-" go to mysqld (and to --initialize)`);
    }
    for (const a of strings(c.args).filter((x) => x.startsWith("--init-file="))) {
        // Read by mysqld as the container's user at --initialize, in the temporary server and at every start.
        const p = cannotRead(pod, c, a.slice("--init-file=".length));
        if (p) problems.push(`${p} (--init-file, read at ${MYSQL.initFileRuns.join(", ")})`);
    }
    const { uid, gid } = runsAs(pod, c);
    if (uid !== MYSQL.user.uid || gid !== MYSQL.user.gid) {
        problems.push(`${who(c)}: runs as ${String(uid)}:${String(gid)}; the image's mysql user is ${MYSQL.user.uid}:${MYSQL.user.gid}`);
    }
    const data = mountFor(pod, c, MYSQL.dataDir);
    if (!data || data.mount.mountPath !== MYSQL.dataDir || !data.volume.persistentVolumeClaim) {
        problems.push(`${who(c)}: ${MYSQL.dataDir} (the data directory) is not a claim mounted there: the database would live in the container`);
    }
    for (const dir of Object.keys(MYSQL.writablePaths)) {
        const p = cannotWrite(pod, c, dir);
        if (p) problems.push(p);
    }
    const env = list(c.env);
    const known = new Set([...MYSQL.env.fileEnv, ...MYSQL.env.fileEnv.map((n) => `${n}_FILE`), ...MYSQL.env.plain]);
    for (const e of env) {
        const n = String(e.name);
        if (n.startsWith("MYSQL_") && !known.has(n)) problems.push(`${who(c)}: ${n} is not read by docker-entrypoint.sh`);
        if (n.endsWith("_FILE") && typeof e.value === "string") {
            if (!mountedFile(pod, c, e.value)) problems.push(`${who(c)}: ${n} names ${e.value}, which no Secret or ConfigMap mount provides`);
            else {
                const p = cannotRead(pod, c, e.value);
                if (p) problems.push(p);
            }
        }
    }
    const names = env.map((e) => String(e.name));
    if (!MYSQL.env.oneOfOnInit.some((n) => names.includes(n) || names.includes(`${n}_FILE`))) {
        problems.push(`${who(c)}: none of ${MYSQL.env.oneOfOnInit.join(", ")} (or _FILE): the entrypoint refuses to initialise an empty data directory`);
    }
    const init = mountFor(pod, c, MYSQL.initDir);
    if (init) {
        const items = list(obj(init.volume.secret ?? init.volume.configMap).items);
        for (const i of items) {
            if (!MYSQL.initExtensions.some((x) => String(i.path).endsWith(x))) {
                problems.push(`${who(c)}: ${MYSQL.initDir}/${String(i.path)} is ignored by the entrypoint (it runs ${MYSQL.initExtensions.join(", ")})`);
            }
        }
    }
    problems.push(...capabilityProblems(c, MYSQL.fileCapabilities));
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
        const cmd = strings(obj(obj(probe).exec).command);
        if (cmd.length > 0 && !(cmd[0] in MYSQL.binaries)) problems.push(`${who(c)}: probe runs ${cmd[0]}, which the contract does not list in the image`);
    }
    return problems;
}

/** A pod that runs a script from the mysql image (the database dumps): its shell and the volumes the script writes. */
export function mysqlClientProblems(pod: Obj, name: string, writes: string[]): string[] {
    const c = containerOf(pod, name);
    const problems: string[] = [];
    if (c.image !== MYSQL.image) problems.push(`${who(c)}: image ${String(c.image)}; the contract was read for ${MYSQL.image}`);
    const cmd = strings(c.command);
    if (cmd.length === 0) problems.push(`${who(c)}: no command: the image's entrypoint would start a server`);
    else if (!(cmd[0] in MYSQL.binaries)) problems.push(`${who(c)}: runs ${cmd[0]}, which the contract does not list in the image`);
    for (const dir of writes) {
        const p = cannotWrite(pod, c, dir);
        if (p) problems.push(p);
    }
    return problems;
}

// --- NFS server -------------------------------------------------------------------------------

/** run_nfs.sh's arguments as its `getopts "G:"` reads them: options, then the directories to export. */
export function parseRunNfsArgs(args: string[]): { options: Record<string, string>; exports: string[]; problems: string[] } {
    const options: Record<string, string> = {};
    const problems: string[] = [];
    let i = 0;
    while (i < args.length && args[i].startsWith("-") && args[i] !== "--") {
        const opt = args[i].slice(1, 2);
        if (!(opt in NFS_SERVER.options)) problems.push(`run_nfs.sh has no option -${opt} (getopts "G:")`);
        const inline = args[i].slice(2);
        if (inline) options[opt] = inline;
        else options[opt] = args[++i] ?? "";
        i++;
    }
    if (args[i] === "--") i++;
    return { options, exports: args.slice(i), problems };
}

/** The server's /etc/exports is a file (subPath) of a volume the init container mounts writable. */
function initWritesExports(pod: Obj, server: Obj, init: Obj): boolean {
    const m = mountFor(pod, server, "/etc/exports");
    if (!m || m.mount.mountPath !== "/etc/exports" || !m.mount.subPath) return false;
    return list(init.volumeMounts).some((im) => im.name === m.mount.name && im.readOnly !== true);
}

/** The in-cluster NFS server and its init container against run_nfs.sh and the image. */
export function nfsServerProblems(pod: Obj, server = "nfs-server", init = "prepare-shared"): string[] {
    const c = containerOf(pod, server);
    const problems: string[] = [];
    if (c.image !== NFS_SERVER.image) problems.push(`${who(c)}: image ${String(c.image)}; the contract was read for ${NFS_SERVER.image}`);
    if (c.command !== undefined) problems.push(`${who(c)}: sets command, so run_nfs.sh never starts the server`);
    const args = c.args === undefined ? NFS_SERVER.cmd : strings(c.args);
    const parsed = parseRunNfsArgs(args);
    problems.push(...parsed.problems.map((p) => `${who(c)}: ${p}`));
    if ("G" in parsed.options) {
        problems.push(`${who(c)}: -G ${parsed.options.G} makes every export mode 070, group ${parsed.options.G} (a group id, not a mode)`);
    }
    if (parsed.exports.length > 1) {
        problems.push(`${who(c)}: exports ${parsed.exports.join(", ")}; each is fsid=0 (the NFSv4 root), so exactly one may be given`);
    }
    if (parsed.exports.length > 0) {
        const open = `${NFS_SERVER.exportOptions}: any address, insecure, root never squashed`;
        problems.push(`${who(c)}: run_nfs.sh exports ${parsed.exports.join(", ")} ${open}; give it "--" and the init container's /etc/exports`);
    } else if (!initWritesExports(pod, c, containerOf(pod, init))) {
        problems.push(`${who(c)}: exports nothing: no directory argument, and /etc/exports is not a file the init container writes`);
    }
    for (const e of parsed.exports) {
        const m = mountFor(pod, c, e);
        if (!m || m.mount.mountPath !== e || !m.volume.persistentVolumeClaim) problems.push(`${who(c)}: exports ${e}, which is not the data claim's mount`);
    }
    const sc = obj(c.securityContext);
    if (sc.privileged !== true) problems.push(`${who(c)}: not privileged; ${NFS_SERVER.needsPrivileged}`);
    const { uid } = runsAs(pod, c);
    if (uid !== undefined && uid !== 0) problems.push(`${who(c)}: runs as ${uid}; run_nfs.sh needs root`);
    if (sc.readOnlyRootFilesystem === true)
        problems.push(`${who(c)}: read-only root filesystem; run_nfs.sh writes ${NFS_SERVER.writesRootFilesystem.join(", ")}`);
    const ports = list(c.ports).map((p) => Number(p.containerPort));
    for (const [name, port] of Object.entries(NFS_SERVER.ports)) {
        if (!ports.includes(port)) problems.push(`${who(c)}: does not declare ${name} (${port})`);
    }
    const ic = containerOf(pod, init);
    if (ic.image !== NFS_SERVER.image) problems.push(`${who(ic)}: image ${String(ic.image)}; expected the server's image (${NFS_SERVER.image})`);
    const cmd = strings(ic.command);
    if (!(cmd[0] in NFS_SERVER.binaries)) problems.push(`${who(ic)}: runs ${String(cmd[0])}, which the contract does not list in the image`);
    const icUid = runsAs(pod, ic).uid;
    if (icUid !== undefined && icUid !== 0) problems.push(`${who(ic)}: runs as ${icUid}; the export's root is root's`);
    return problems;
}

// --- csi-driver-nfs ---------------------------------------------------------------------------

/** Flag names of arguments such as "-v=2", "--csi-address=$(ADDRESS)", "-leader-election". */
export function flagNames(args: string[]): string[] {
    return args.filter((a) => a.startsWith("-")).map((a) => a.replace(/^--?/, "").split("=")[0]);
}

function flagProblems(c: Obj, flags: string[], binary: string): string[] {
    return flagNames(strings(c.args))
        .filter((f) => !flags.includes(f))
        .map((f) => `${who(c)}: ${binary} defines no flag -${f}`);
}

const SIDECAR_OF: Record<string, Sidecar> = {
    "csi-provisioner": CSI_SIDECARS.provisioner,
    "csi-resizer": CSI_SIDECARS.resizer,
    "node-driver-registrar": CSI_SIDECARS.registrar,
    "liveness-probe": CSI_SIDECARS.liveness,
};

/**
 * `publishes`: whether the pod publishes volumes to pods (the node plugin: NodePublishVolume mounts
 * into /var/lib/kubelet/pods, which must propagate to the host); the controller only mounts in its
 * working directory (pkg/nfs/controllerserver.go), so it needs neither the kubelet's pods nor the host's network.
 */
function csiContainerProblems(pod: Obj, names: string[], publishes: boolean): string[] {
    const problems: string[] = [];
    for (const name of names) {
        const c = containerOf(pod, name);
        if (c.image !== CSI_NFS.pins[name]) problems.push(`${who(c)}: image ${String(c.image)}; csi-driver-nfs v4.12.1 pins ${CSI_NFS.pins[name]}`);
        if (c.command !== undefined) problems.push(`${who(c)}: sets command over the image's entrypoint`);
        if (name === "nfs") {
            problems.push(...flagProblems(c, CSI_NFS.flags, "nfsplugin"));
            const sc = obj(c.securityContext);
            if (sc.privileged !== true || !strings(obj(sc.capabilities).add).includes("SYS_ADMIN")) {
                problems.push(`${who(c)}: not privileged with SYS_ADMIN, as upstream runs it (it mounts NFS)`);
            }
            const kubelet = list(c.volumeMounts).find((m) => m.mountPath === "/var/lib/kubelet/pods");
            if (publishes && kubelet?.mountPropagation !== "Bidirectional") problems.push(`${who(c)}: /var/lib/kubelet/pods is not mounted Bidirectional`);
            if (!publishes && kubelet) problems.push(`${who(c)}: the controller publishes no volume, yet mounts the kubelet's /var/lib/kubelet/pods`);
        } else {
            problems.push(...flagProblems(c, SIDECAR_OF[name].flags, SIDECAR_OF[name].entrypoint[0]));
        }
    }
    return problems;
}

/** The controller Deployment: upstream's containers (less csi-snapshotter), pins, flags, a writable working dir, a resizer when the class may expand. */
export function csiControllerProblems(pod: Obj, p: { expansion: boolean }): string[] {
    const names = list(pod.containers).map((c) => String(c.name));
    const wanted = CSI_NFS.upstreamController.filter((n) => n !== "csi-snapshotter");
    const problems = wanted.filter((n) => !names.includes(n)).map((n) => `controller: no ${n} container (upstream runs one)`);
    if (p.expansion && !names.includes("csi-resizer")) {
        problems.push("controller: the home class allows volume expansion but no csi-resizer calls ControllerExpandVolume: resizes stay pending");
    }
    problems.push(
        ...csiContainerProblems(
            pod,
            wanted.filter((n) => names.includes(n)),
            false,
        ),
    );
    if (pod.hostNetwork === true) problems.push("controller: on the host's network, which its mounts in its own working directory do not need");
    if (names.includes("nfs")) {
        const c = containerOf(pod, "nfs");
        const arg = strings(c.args).find((a) => /^--?working-mount-dir=/.test(a));
        const dir = arg ? arg.split("=")[1] : CSI_NFS.workingMountDirDefault;
        const cant = cannotWrite(pod, c, dir);
        if (cant) problems.push(cant);
    }
    return problems;
}

/** The node DaemonSet: upstream's containers, pins, flags, and the registration socket where the kubelet looks. */
export function csiNodeProblems(pod: Obj): string[] {
    const names = list(pod.containers).map((c) => String(c.name));
    const problems = CSI_NFS.upstreamNode.filter((n) => !names.includes(n)).map((n) => `node: no ${n} container (upstream runs one)`);
    problems.push(
        ...csiContainerProblems(
            pod,
            CSI_NFS.upstreamNode.filter((n) => names.includes(n)),
            true,
        ),
    );
    const reg = names.includes("node-driver-registrar") ? containerOf(pod, "node-driver-registrar") : undefined;
    const sock = String(list(reg?.env).find((e) => e.name === "DRIVER_REG_SOCK_PATH")?.value);
    const socketDir = list(pod.volumes).find((v) => v.name === "socket-dir");
    if (reg && path.posix.dirname(sock) !== String(obj(socketDir?.hostPath).path)) {
        problems.push(`node: the registrar announces ${sock}, but the plugin's socket directory on the node is ${String(obj(socketDir?.hostPath).path)}`);
    }
    return problems;
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
const triples = (rules: Rule[]) =>
    new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))));

/** What upstream grants the controller and `granted` lacks, and what `granted` has beyond upstream's. */
export function csiRbacProblems(granted: Rule[], p: { resizer: boolean }): string[] {
    const have = triples(granted);
    const need = triples([...CSI_NFS.provisionerRules, ...(p.resizer ? CSI_NFS.resizerRules : [])]);
    const upstream = triples([...CSI_NFS.provisionerRules, ...CSI_NFS.resizerRules]);
    return [
        ...[...need].filter((t) => !have.has(t)).map((t) => `controller RBAC: upstream grants ${t}, the program does not`),
        ...[...have].filter((t) => !upstream.has(t)).map((t) => `controller RBAC: ${t} is granted beyond upstream's roles`),
    ];
}

// --- Users' servers and the hub ---------------------------------------------------------------

/** The contract of a user image, when it was read: the chart's sample or a docker-stacks image. */
export function userImageContract(image: string): typeof SINGLEUSER_SAMPLE | typeof DOCKER_STACKS | undefined {
    if (image === SINGLEUSER_SAMPLE.image) return SINGLEUSER_SAMPLE;
    if (DOCKER_STACKS.imagePattern.test(image)) return DOCKER_STACKS;
    return undefined;
}

/**
 * The singleuser values (after Helm's merge with the chart's defaults) against the user image:
 * the uid and home the image's user has, the group the home volume is given, and for a root start
 * (grantSudo) what docker-stacks' start.sh needs. `images`: the default image and profiles' images.
 */
export function singleuserProblems(su: Obj, images: string[]): { problems: string[]; unknown: string[] } {
    const problems: string[] = [];
    const unknown: string[] = [];
    const env = obj(su.extraEnv) as Record<string, string | undefined>;
    const home = String(obj(su.storage).homeMountPath);
    const rootStart = su.uid === 0;
    for (const image of images) {
        const k = userImageContract(image);
        if (!k) {
            unknown.push(image);
            continue;
        }
        if (rootStart) {
            if (!k.rootStart) problems.push(`${image}: starts as root, but the image has no start.sh to drop to a user: every server would run as root`);
            continue;
        }
        if (su.uid !== k.user.uid) problems.push(`${image}: runs as uid ${String(su.uid)}; the image's user ${k.user.name} is ${k.user.uid}`);
        if (home !== k.home) problems.push(`${image}: the home volume is mounted at ${home}; the image's HOME is ${k.home}`);
        if (k.user.gid !== undefined && su.fsGid !== k.user.gid) {
            problems.push(`${image}: the home volume's group (fsGid) is ${String(su.fsGid)}; the image's user is in group ${k.user.gid}`);
        }
    }
    if (typeof su.fsGid !== "number") problems.push("singleuser: no fsGid: the home volume's root stays root's and the user cannot write it");
    if (rootStart) {
        const yes = DOCKER_STACKS.yes;
        const user = home.slice(home.lastIndexOf("/") + 1);
        if (!yes.includes(String(env.GRANT_SUDO))) problems.push(`singleuser: root start without GRANT_SUDO=${yes.join("|")}: start.sh grants no sudo`);
        if (env.NB_USER !== user || home !== `/home/${user}`) {
            problems.push(`singleuser: NB_USER ${env.NB_USER ?? "unset"} with the home at ${home}; start.sh makes /home/$NB_USER the user's home`);
        }
        if (env.NB_UID !== String(DOCKER_STACKS.user.uid) || env.NB_GID !== String(DOCKER_STACKS.user.gid)) {
            problems.push(
                `singleuser: NB_UID:NB_GID ${env.NB_UID ?? "unset"}:${env.NB_GID ?? "unset"}; the image's user is ${DOCKER_STACKS.user.uid}:${DOCKER_STACKS.user.gid}`,
            );
        }
        if (env.NB_GID !== undefined && String(su.fsGid) !== env.NB_GID) {
            problems.push(`singleuser: the home volume's group (fsGid ${String(su.fsGid)}) is not NB_GID ${env.NB_GID}`);
        }
        if (su.allowPrivilegeEscalation !== true) problems.push("singleuser: sudo is setuid: a user's sudo needs allowPrivilegeEscalation");
    }
    return { problems, unknown };
}

/**
 * The hub's extra volumes: each a read-only mount the hub's user can read, or an emptyDir for a
 * path it writes (its root filesystem is read-only). Files of a ConfigMap or
 * Secret volume are root's, group fsGroup (the chart's hub podSecurityContext: 1000), mode
 * defaultMode (0644 unless set): the hub (uid 1000, group 1000) reads them through group or other.
 */
export function hubVolumeProblems(hub: Obj): string[] {
    const problems: string[] = [];
    const mounts = list(hub.extraVolumeMounts);
    for (const v of list(hub.extraVolumes)) {
        if (v.emptyDir !== undefined) {
            if (!mounts.some((x) => x.name === v.name)) problems.push(`hub volume ${String(v.name)}: never mounted`);
            continue;
        }
        const source = obj(v.configMap ?? v.secret);
        const mode = typeof source.defaultMode === "number" ? source.defaultMode : 0o644;
        if ((mode & 0o044) === 0)
            problems.push(`hub volume ${String(v.name)}: mode ${mode.toString(8)} is not readable by the hub's user (${HUB.user.uid}:${String(HUB.user.gid)})`);
        const m = mounts.find((x) => x.name === v.name);
        if (!m) problems.push(`hub volume ${String(v.name)}: never mounted`);
        else if (m.readOnly !== true) problems.push(`hub volume ${String(v.name)}: mounted writable`);
    }
    return problems;
}

// --- Running a command with an image's tools only ---------------------------------------------

/**
 * This machine's program of that name: the first executable file of that name in a directory of
 * PATH, as `command -v` finds a program ("" when there is none; a builtin's name finds its program,
 * which the shell never runs in its place). Looked up in this process, once per name and PATH,
 * rather than by a shell for each name of each run.
 */
const hostPaths = new Map<string, string>();
function hostPath(name: string): string {
    const searched = process.env.PATH ?? "";
    const key = `${searched}\0${name}`;
    let found = hostPaths.get(key);
    if (found === undefined) {
        found = "";
        for (const dir of searched.split(path.delimiter)) {
            if (!path.isAbsolute(dir)) continue;
            const candidate = path.join(dir, name);
            try {
                if (!fs.statSync(candidate).isFile()) continue;
                fs.accessSync(candidate, fs.constants.X_OK);
                found = candidate;
                break;
            } catch {
                // not here
            }
        }
        hostPaths.set(key, found);
    }
    return found;
}

/**
 * Runs a shell script with a PATH holding only the programs a contract lists in the image: each
 * is this machine's own program of that name (or a stand-in from `stubs`), so a script that calls
 * anything the image is not known to have fails with "not found". Returns the status, the output
 * and the names the script found missing.
 */
export function runWithImageTools(
    shell: string,
    script: string,
    p: { binaries: Record<string, Binary>; stubs?: Record<string, string>; env?: Record<string, string>; args?: string[]; dir?: string },
): { status: number | null; stdout: string; stderr: string; missing: string[] } {
    const dir = p.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "jhub-image-tools-"));
    const bin = path.join(dir, "image-bin");
    fs.mkdirSync(bin, { recursive: true });
    for (const name of Object.keys(p.binaries)) {
        const target = path.join(bin, name);
        if (fs.existsSync(target)) continue;
        if (p.stubs?.[name] !== undefined) {
            fs.writeFileSync(target, `#!/bin/sh\n${p.stubs[name]}\n`, { mode: 0o755 });
            continue;
        }
        const host = hostPath(name);
        if (host.startsWith("/")) fs.symlinkSync(host, target);
    }
    const file = path.join(dir, "script.sh");
    fs.writeFileSync(file, script);
    const shellPath = hostPath(shell);
    const r = spawnSync(shellPath, [file, ...(p.args ?? [])], { env: { PATH: bin, ...p.env }, encoding: "utf8", cwd: dir });
    const missing = [...r.stderr.matchAll(/(?:^|: )([A-Za-z0-9_.-]+): (?:command )?not found/gm)].map((m) => m[1]);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, missing };
}

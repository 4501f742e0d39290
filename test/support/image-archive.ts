// The stand-in images of .ci/images.sh, opened for test/images/*.test.ts: each archive's OCI
// configuration, its root filesystem unpacked (owners, modes and file capabilities kept: tar as
// root), and commands run inside that root filesystem as a container would run them (its own
// PATH and environment, a uid and gid, its working directory), in private mount, pid and network
// namespaces with /proc, a minimal /dev and a loopback interface of their own.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe } from "node:test";

/** The part of the OCI image configuration a pod spec meets. */
export interface ImageConfig {
    User?: string;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[];
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    Volumes?: Record<string, object>;
    Labels?: Record<string, string>;
}

export interface OpenedImage {
    name: string;
    /** The reference the archive is written under (index.json's org.opencontainers.image.ref.name). */
    ref: string;
    config: ImageConfig;
    /** The unpacked root filesystem (a private copy: tests may write into it). */
    rootfs: string;
    env: Record<string, string>;
    /** Removes the unpacked copy. */
    close(): void;
}

const ROOT = path.resolve(__dirname, "..", "..");
const IMAGES_SH = path.join(ROOT, ".ci", "images.sh");

/**
 * Why these tests cannot run here, or undefined. They build images (mmdebstrap, chroot, setcap:
 * root) and run commands in them (unshare, mount: root).
 */
export function cannotRun(): string | undefined {
    if (process.platform !== "linux") return "not Linux";
    if (process.getuid?.() !== 0) return "not root (building and entering the images needs root)";
    const check = spawnSync("bash", [IMAGES_SH, "check"], { encoding: "utf8" });
    if (check.status !== 0) return check.stdout.trim() || check.stderr.trim() || "cannot build images here";
    for (const tool of ["unshare", "capsh", "getcap", "tar", "ip"]) {
        if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is missing`;
    }
    return undefined;
}

/** Builds the image (cached: instant when its recipe has not changed) and returns its archive. */
export function buildImage(name: string): string {
    const r = spawnSync("bash", [IMAGES_SH, "build", name], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (r.status !== 0) throw new Error(`.ci/images.sh build ${name} failed:\n${r.stdout}${r.stderr}`);
    return execFileSync("bash", [IMAGES_SH, "path", name], { encoding: "utf8" }).trim();
}

function readJson<T>(file: string): T {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

function blob(dir: string, digest: string): string {
    return path.join(dir, "blobs", ...digest.split(":"));
}

/** Unpacks an OCI archive: its configuration and its layers, in order, into one root filesystem. */
export function openArchive(name: string, archive: string): OpenedImage {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `jhub-image-${name}-`));
    const oci = path.join(dir, "oci");
    const rootfs = path.join(dir, "rootfs");
    fs.mkdirSync(oci);
    fs.mkdirSync(rootfs);
    execFileSync("tar", ["-xf", archive, "-C", oci]);
    const index = readJson<{ manifests: Array<{ digest: string; annotations?: Record<string, string> }> }>(path.join(oci, "index.json"));
    if (index.manifests.length !== 1) throw new Error(`${archive}: ${index.manifests.length} manifests, expected 1`);
    const ref = index.manifests[0].annotations?.["org.opencontainers.image.ref.name"] ?? "";
    const manifest = readJson<{ config: { digest: string }; layers: Array<{ digest: string; mediaType: string }> }>(blob(oci, index.manifests[0].digest));
    const config = readJson<{ config: ImageConfig }>(blob(oci, manifest.config.digest)).config;
    for (const layer of manifest.layers) {
        // As root, tar keeps owners (--numeric-owner: the image's ids, not this machine's names),
        // modes and extended attributes, file capabilities among them.
        execFileSync("tar", ["--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpzf", blob(oci, layer.digest), "-C", rootfs]);
    }
    fs.rmSync(oci, { recursive: true, force: true });
    // What the kubelet mounts into every container over the image's own: /etc/hosts (localhost).
    fs.mkdirSync(path.join(rootfs, "etc"), { recursive: true });
    fs.rmSync(path.join(rootfs, "etc", "hosts"), { force: true });
    fs.writeFileSync(path.join(rootfs, "etc", "hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    const env = Object.fromEntries((config.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    return { name, ref, config, rootfs, env, close: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Builds (or takes from the cache) and unpacks the image of recipe `name`. */
export function openImage(name: string): OpenedImage {
    return openArchive(name, buildImage(name));
}

/** Where `p` (an absolute path in the image) is in the unpacked root filesystem, symbolic links inside the image followed. */
export function inRootfs(img: OpenedImage, p: string, follow = true): string {
    const parts = p.split("/").filter(Boolean);
    let cur = "/";
    for (let i = 0; i < parts.length; i++) {
        const next = path.posix.join(cur, parts[i]);
        const host = path.join(img.rootfs, next);
        const last = i === parts.length - 1;
        let st: fs.Stats | undefined;
        try {
            st = fs.lstatSync(host);
        } catch {
            return host;
        }
        if (st.isSymbolicLink() && (follow || !last)) {
            const target = fs.readlinkSync(host);
            const resolved = target.startsWith("/") ? target : path.posix.join(cur, target);
            return inRootfs(img, path.posix.join(resolved, ...parts.slice(i + 1)), follow);
        }
        cur = next;
    }
    return path.join(img.rootfs, cur);
}

/** The image's /etc/passwd entries by name: uid, gid, home. */
export function passwd(img: OpenedImage): Record<string, { uid: number; gid: number; home: string; shell: string }> {
    const file = inRootfs(img, "/etc/passwd");
    if (!fs.existsSync(file)) return {};
    return Object.fromEntries(
        fs
            .readFileSync(file, "utf8")
            .split("\n")
            .filter((l) => l.includes(":"))
            .map((l) => l.split(":"))
            .map((f) => [f[0], { uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f[6] }]),
    );
}

/** The image's /etc/group entries by name: gid and members. */
export function groups(img: OpenedImage): Record<string, { gid: number; members: string[] }> {
    const file = inRootfs(img, "/etc/group");
    if (!fs.existsSync(file)) return {};
    return Object.fromEntries(
        fs
            .readFileSync(file, "utf8")
            .split("\n")
            .filter((l) => l.includes(":"))
            .map((l) => l.split(":"))
            .map((f) => [f[0], { gid: Number(f[2]), members: f[3] ? f[3].split(",") : [] }]),
    );
}

/** A program as the image's PATH finds it (for a container's command), or undefined. */
export function which(img: OpenedImage, program: string, pathVar = img.env.PATH ?? ""): string | undefined {
    if (program.includes("/")) return fs.existsSync(inRootfs(img, program)) ? program : undefined;
    for (const dir of pathVar.split(":").filter(Boolean)) {
        const candidate = path.posix.join(dir, program);
        const host = inRootfs(img, candidate);
        try {
            const st = fs.statSync(host);
            if (st.isFile() && st.mode & 0o111) return candidate;
        } catch {
            /* not here */
        }
    }
    return undefined;
}

/** The file capabilities of a file in the image, as getcap prints them ("" for none). */
export function fileCaps(img: OpenedImage, p: string): string {
    const out = execFileSync("getcap", [inRootfs(img, p)], { encoding: "utf8" }).trim();
    return out.replace(/^\S+\s*/, "");
}

export interface RunOptions {
    /** uid:gid, numeric (a pod's runAsUser and runAsGroup). Default: the image's User resolved by its passwd, else 0:0. */
    user?: string;
    /** Added to (and overriding) the image's Env. */
    env?: Record<string, string>;
    /** Default: the image's WorkingDir or /. */
    cwd?: string;
    /**
     * A pod's `capabilities: {drop: [ALL], add: [...]}` with `allowPrivilegeEscalation: false`: the
     * bounding set holds only these capabilities (lower case, e.g. "cap_net_bind_service") and
     * no_new_privs is set. The working directory is then /.
     */
    capabilities?: string[];
    timeoutMs?: number;
    input?: string;
}

export interface RunResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** uid:gid the image's User names (a number, name, or name:group), looked up in its passwd and group files. */
export function imageUser(img: OpenedImage): string {
    const user = img.config.User ?? "";
    if (!user) return "0:0";
    const [u, g] = user.split(":");
    const pw = passwd(img);
    const uid = /^\d+$/.test(u) ? Number(u) : pw[u]?.uid;
    if (uid === undefined) throw new Error(`${img.ref}: User ${user} is not in /etc/passwd`);
    const entry = Object.values(pw).find((e) => e.uid === uid);
    const gid = g !== undefined ? (/^\d+$/.test(g) ? Number(g) : groups(img)[g]?.gid) : (entry?.gid ?? 0);
    return `${uid}:${gid}`;
}

/** Runs argv in the image (argv[0] found by the image's PATH), waits for it to end. */
export function runInImage(img: OpenedImage, argv: string[], opts: RunOptions = {}): RunResult {
    const { args } = buildEnter(img, argv, opts);
    const r = spawnSync("unshare", args, { encoding: "utf8", input: opts.input, timeout: opts.timeoutMs ?? 60_000 });
    return { status: r.status, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

/** Runs argv in the image in the background; stop() ends it and everything it started. */
export function startInImage(
    img: OpenedImage,
    argv: string[],
    opts: RunOptions = {},
): { output: () => string; stop: () => Promise<void>; exited: Promise<number | null> } {
    const { args } = buildEnter(img, argv, opts);
    const child = spawn("unshare", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return {
        output: () => out,
        exited,
        stop: async () => {
            if (child.exitCode === null) child.kill("SIGTERM");
            await exited;
        },
    };
}

// What enters the unpacked image: `unshare` of private mount, pid and network namespaces runs a
// setup script (/proc, a small /dev, loopback up), which then runs `env -i <the image's
// environment>` and either `unshare --root --wd --setuid --setgid -- argv` (--setgid also drops
// supplementary groups) or, for a pod's capabilities, capsh: bounding set narrowed, chroot, gid,
// no supplementary groups, uid, no_new_privs, then argv[0] (found by the image's PATH) executed.
function buildEnter(img: OpenedImage, argv: string[], opts: RunOptions): { args: string[] } {
    const [uid, gid] = (opts.user ?? imageUser(img)).split(":");
    const env = { ...img.env, ...(opts.env ?? {}) };
    const setup = [
        "set -e",
        "R=$1; shift",
        'mkdir -p "$R/proc" "$R/dev" "$R/tmp"',
        'mount -t proc proc "$R/proc"',
        'mount -t tmpfs -o mode=0755,size=4m dev "$R/dev"',
        'for d in null zero full random urandom tty; do : > "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done',
        'ln -s /proc/self/fd "$R/dev/fd"',
        'mkdir "$R/dev/shm" && mount -t tmpfs -o mode=1777 shm "$R/dev/shm"',
        "ip link set lo up",
        'cd "$R"',
        'exec "$@"',
    ].join("\n");
    let enter: string[];
    if (opts.capabilities) {
        const program = which(img, argv[0], env.PATH ?? "");
        if (!program) throw new Error(`${argv[0]} is not on ${img.ref}'s PATH`);
        const drop = boundingSet().filter((c) => !opts.capabilities!.includes(c));
        enter = [
            "/usr/sbin/capsh",
            `--drop=${drop.join(",")}`,
            `--chroot=${img.rootfs}`,
            `--gid=${gid}`,
            "--groups=",
            `--uid=${uid}`,
            "--no-new-privs",
            `--shell=${program}`,
            "--",
            ...argv.slice(1),
        ];
    } else {
        enter = [
            "/usr/bin/unshare",
            `--root=${img.rootfs}`,
            `--wd=${opts.cwd ?? (img.config.WorkingDir || "/")}`,
            `--setuid=${uid}`,
            `--setgid=${gid}`,
            "--",
            ...argv,
        ];
    }
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    return {
        args: ["--mount", "--pid", "--net", "--fork", "--kill-child", "--", "sh", "-c", setup, "enter", img.rootfs, "/usr/bin/env", "-i", ...envArgs, ...enter],
    };
}

let bounding: string[] | undefined;
/** This machine's capability bounding set (capsh --print), the set a pod's capabilities are cut from. */
function boundingSet(): string[] {
    bounding ??= execFileSync("capsh", ["--print"], { encoding: "utf8" })
        .split("\n")
        .find((l) => l.startsWith("Bounding set ="))!
        .slice("Bounding set =".length)
        .split(",")
        .filter(Boolean);
    return bounding;
}

/** The image's entrypoint and command as a container runs them, with a pod's command or args. */
export function containerArgv(img: OpenedImage, pod: { command?: string[]; args?: string[] } = {}): string[] {
    const entrypoint = pod.command ?? img.config.Entrypoint ?? [];
    const args = pod.args ?? (pod.command ? [] : (img.config.Cmd ?? []));
    return [...entrypoint, ...args];
}

/**
 * The suite of one image: skipped (with the reason, once per file) where images cannot be built or
 * entered here; else the image is built or taken from the cache and unpacked once for its tests.
 */
export function describeImage(name: string, body: (img: () => OpenedImage) => void): void {
    const why = cannotRun();
    if (why) {
        console.log(`images: SKIPPED — ${why}`);
        return;
    }
    let opened: OpenedImage | undefined;
    describe(`image ${name}`, { timeout: 1_800_000 }, () => {
        before(() => {
            opened = openImage(name);
        });
        after(() => opened?.close());
        body(() => {
            if (!opened) throw new Error(`image ${name} was not opened`);
            return opened;
        });
    });
}

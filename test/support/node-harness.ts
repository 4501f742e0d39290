// Shared by test/node/*.test.ts: the real node of .ci/node.sh on the private control plane that
// .ci/node-test.sh starts (JHUB_CLUSTER_DIR, JHUB_APISERVER_PORT, KUBECONFIG), and what the machine
// looks like around it, so that a test can show the node leaves it as it found it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
const NODE_SH = path.join(ROOT, ".ci", "node.sh");

/** A pin of .ci/lib.sh, read as the scripts read it (`$KUBE_VERSION` and the like expanded). */
export function pin(name: string): string {
    const lib = fs.readFileSync(path.join(ROOT, ".ci", "lib.sh"), "utf8");
    const raw = new RegExp(`^${name}=(\\S+)`, "m").exec(lib)?.[1];
    if (raw === undefined) throw new Error(`.ci/lib.sh sets no ${name}`);
    return raw.replace(/\$(\w+)/g, (_, v: string) => pin(v));
}

export interface Ran {
    status: number | null;
    stdout: string;
    stderr: string;
    seconds: number;
}

/** Runs a command to its end (never throws); `timeout` in seconds. */
export function sh(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; timeout?: number } = {}): Ran {
    const t0 = Date.now();
    const r = spawnSync(cmd, args, {
        encoding: "utf8",
        input: opts.input,
        env: { ...process.env, ...(opts.env ?? {}) },
        timeout: (opts.timeout ?? 600) * 1000,
        killSignal: "SIGTERM",
        maxBuffer: 64 * 1024 * 1024,
    });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", seconds: (Date.now() - t0) / 1000 };
}

/** Like sh, but a non-zero exit throws with the command's output. */
export function must(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; timeout?: number } = {}): string {
    const r = sh(cmd, args, opts);
    if (r.status !== 0)
        throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n--- stdout\n${r.stdout.slice(-8000)}\n--- stderr\n${r.stderr.slice(-8000)}`);
    return r.stdout;
}

/** The node's state directory, as .ci/node.sh defaults it. */
export const nodeDir = () => process.env.JHUB_NODE_DIR ?? path.join(process.env.JHUB_CLUSTER_DIR ?? "/tmp/jhub-cluster", "node");

/** The node tier's test image archive, as .ci/lib.sh names it (after what goes into it). */
export function nodeTestArchive(): string {
    return must("bash", ["-c", `. ${path.join(ROOT, ".ci", "lib.sh")} && node_test_archive`]).trim();
}

export const nodeSh = (args: string[], env: Record<string, string> = {}, timeout = 600) => sh("bash", [NODE_SH, ...args], { env, timeout });
export const kubectl = (args: string[], input?: string) => must("kubectl", ["--request-timeout=30s", ...args], input === undefined ? {} : { input });

/** The lines of stderr that are not the script's timestamped progress lines. */
export const messages = (stderr: string) => stderr.split("\n").filter((l) => l.trim() !== "" && !/^\[\d\d:\d\d:\d\d\] /.test(l));

export function requireCluster(): void {
    for (const v of ["KUBECONFIG", "JHUB_CLUSTER_DIR", "JHUB_APISERVER_PORT"]) {
        if (!process.env[v]) throw new Error(`${v} is not set: run this through \`npm run test:node\` (.ci/node-test.sh)`);
    }
}

const read = (f: string) => {
    try {
        return fs.readFileSync(f, "utf8").trim();
    } catch {
        return undefined;
    }
};

/** A node's processes: what runs with its state directory or its node IP on the command line
 * (containerd, the shims, kubelet, kube-proxy, the forwarder), and its containers (kubepods cgroups).
 * Other containerds on the machine (an image build's) are not the node's. */
function isNodeProcess(pid: string, stateDir: string): boolean {
    const cmdline = (read(`/proc/${pid}/cmdline`) ?? "").replace(/\0/g, " ");
    return cmdline.includes(stateDir) || cmdline.includes("bind=10.89.0.1") || /kubepods/.test(read(`/proc/${pid}/cgroup`) ?? "");
}
const SYSCTLS = [
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
    "net/ipv4/ip_forward",
    "net/ipv4/conf/all/forwarding",
    "net/ipv4/conf/default/forwarding",
    "net/ipv4/conf/all/route_localnet",
    "net/ipv6/conf/all/forwarding",
    "net/bridge/bridge-nf-call-iptables",
    "net/bridge/bridge-nf-call-ip6tables",
    "net/netfilter/nf_conntrack_max",
];
/** Host paths the node writes outside its state: the kubelet's, and libcni's cache of the node's network. */
const HOST_DIRS = ["/var/lib/kubelet", "/var/log/containers", "/var/log/pods"];

export interface Machine {
    links: string[];
    routes: string;
    rules: string;
    nftables: string;
    mounts: string[];
    processes: string[];
    sysctls: Record<string, string | undefined>;
    kubepodsCgroups: string[];
    hostPaths: string[];
}

/** What a node changes on the machine: interfaces, routes and routing rules, the whole nftables
 * ruleset (iptables-nft included), mounts under its state and the kubelet's host paths, its
 * processes, the sysctls it writes, kubepods cgroups and the host paths the daemons write outside
 * their roots. */
export function machine(): Machine {
    const stateDir = process.env.JHUB_CLUSTER_DIR ?? "/tmp/jhub-cluster";
    const processes: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        let exe: string;
        try {
            exe = fs.readlinkSync(`/proc/${pid}/exe`);
        } catch {
            continue;
        }
        if (isNodeProcess(pid, stateDir)) processes.push(`${pid} ${exe}`);
    }
    const cg = "/sys/fs/cgroup";
    const kubepodsCgroups: string[] = [];
    for (const h of fs.readdirSync(cg)) {
        for (const d of [path.join(cg, h), cg]) {
            try {
                for (const e of fs.readdirSync(d)) if (e.startsWith("kubepods")) kubepodsCgroups.push(path.join(d, e));
            } catch {
                /* not a directory */
            }
        }
    }
    const hostPaths = HOST_DIRS.filter((d) => fs.existsSync(d));
    if (fs.existsSync("/var/lib/cni/results")) hostPaths.push(...fs.readdirSync("/var/lib/cni/results").filter((f) => f.startsWith("jhub-node")));
    return {
        links: must("ip", ["-o", "link", "show"])
            .split("\n")
            .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
            .filter((x): x is string => !!x)
            .sort(),
        routes: must("ip", ["route", "show", "table", "all"]),
        rules: must("ip", ["rule", "show"]),
        nftables: must("nft", ["list", "ruleset"]),
        mounts: fs
            .readFileSync("/proc/self/mountinfo", "utf8")
            .split("\n")
            .map((l) => l.split(" ")[4])
            .filter((m): m is string => !!m && (m.startsWith(stateDir) || HOST_DIRS.some((d) => m.startsWith(d)) || m.startsWith("/run/netns")))
            .sort(),
        processes: processes.sort(),
        sysctls: Object.fromEntries(SYSCTLS.map((k) => [k, read(`/proc/sys/${k}`)])),
        kubepodsCgroups: [...new Set(kubepodsCgroups)].sort(),
        hostPaths,
    };
}

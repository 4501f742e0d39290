// Tools and processes for the services suites (services-harness.ts): where the installed tools are,
// free ports, child processes started detached in their own process group (so that a hub and the
// proxy it starts stop together), and waiting for a port or a URL.
import { ChildProcess, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

import { ROOT, run } from "./helpers";

export { run };

/** Keep in step with .ci/services-setup.sh. */
/** configurable-http-proxy's version, pinned in .ci/lib.sh with the rest of the toolchain. */
export const CHP_VERSION = /^CHP_VERSION=(\S+)/m.exec(fs.readFileSync(path.join(ROOT, ".ci", "lib.sh"), "utf8"))![1];
export const CACHE = process.env.JHUB_SERVICES_CACHE ?? path.join(process.env.HOME ?? "/root", ".cache", "jhub-services");
export const REQUIREMENTS = path.join(ROOT, "test", "services", "requirements.txt");
const SETUP_HINT = "run .ci/services-setup.sh (as root) to install slapd, ldap-utils, MariaDB, the hub venv and configurable-http-proxy";

export interface Tools {
    slapd: string;
    slapadd: string;
    ldapwhoami: string;
    ldapsearch: string;
    ldapmodify: string;
    /** The sync Job's shell and awk: the image's (Debian 12: dash and mawk). */
    dash: string;
    mawk: string;
    openssl: string;
    mariadbInstallDb: string;
    mariadbd: string;
    mariadb: string;
    /** The venv's python and jupyterhub. */
    python: string;
    jupyterhub: string;
    chp: string;
}

function which(name: string): string | undefined {
    const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin"];
    for (const d of dirs) {
        const p = path.join(d, name);
        try {
            fs.accessSync(p, fs.constants.X_OK);
            return p;
        } catch {
            // next
        }
    }
    return undefined;
}

/** The venv .ci/services-setup.sh makes: keyed by the requirements file's content. */
export function venvDir(): string {
    const hash = crypto.createHash("sha256").update(fs.readFileSync(REQUIREMENTS)).digest("hex").slice(0, 12);
    return path.join(CACHE, `venv-${hash}`);
}

/** Every tool the test needs, or an Error naming the missing ones and the setup script. */
export function findTools(): Tools {
    const missing: string[] = [];
    const bin = (name: string): string => {
        const p = which(name);
        if (!p) missing.push(name);
        return p ?? name;
    };
    const file = (p: string, what: string): string => {
        if (!fs.existsSync(p)) missing.push(`${what} (${p})`);
        return p;
    };
    const venv = venvDir();
    const tools: Tools = {
        slapd: bin("slapd"),
        slapadd: bin("slapadd"),
        ldapwhoami: bin("ldapwhoami"),
        ldapsearch: bin("ldapsearch"),
        ldapmodify: bin("ldapmodify"),
        dash: bin("dash"),
        mawk: bin("mawk"),
        openssl: bin("openssl"),
        mariadbInstallDb: bin("mariadb-install-db"),
        mariadbd: bin("mariadbd"),
        mariadb: bin("mariadb"),
        python: file(path.join(venv, "bin", "python"), "hub venv"),
        jupyterhub: file(path.join(venv, "bin", "jupyterhub"), "jupyterhub in the hub venv"),
        chp: file(path.join(CACHE, `chp-${CHP_VERSION}`, "node_modules", ".bin", "configurable-http-proxy"), `configurable-http-proxy ${CHP_VERSION}`),
    };
    // The sync script calls these by name, from PATH.
    for (const name of ["ldapadd", "ldapdelete"]) bin(name);
    if (missing.length > 0) throw new Error(`missing: ${missing.join(", ")}; ${SETUP_HINT}`);
    return tools;
}

/** A port nobody listens on now (the kernel's pick), on 127.0.0.1. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
    });
}

/** Last lines of a log file, for failure messages. */
export function tail(file: string, lines = 40): string {
    try {
        return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
        return `(no ${file})`;
    }
}

const running = new Set<Service>();
// Should the test process end without its `after` hook (interrupted, crashed), still take every
// process group it started down with it.
process.once("exit", () => {
    for (const s of running) {
        try {
            process.kill(-s.pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
});

/** A long-running child process in its own process group, its output in a log file. */
export class Service {
    readonly proc: ChildProcess;
    exited = false;
    exitCode: number | null = null;

    constructor(
        readonly name: string,
        cmd: string,
        args: string[],
        readonly log: string,
        opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
    ) {
        const fd = fs.openSync(log, "a");
        this.proc = spawn(cmd, args, { detached: true, stdio: ["ignore", fd, fd], env: opts.env ?? process.env, cwd: opts.cwd });
        fs.closeSync(fd);
        running.add(this);
        this.proc.on("exit", (code) => {
            this.exited = true;
            this.exitCode = code;
            running.delete(this);
        });
    }

    get pid(): number {
        return this.proc.pid!;
    }

    /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once the leader is gone. */
    async stop(graceMs = 10_000): Promise<void> {
        if (this.exited || this.proc.pid === undefined) return;
        const gone = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
        const signal = (sig: NodeJS.Signals) => {
            try {
                process.kill(-this.pid, sig);
            } catch {
                // already gone
            }
        };
        signal("SIGTERM");
        const timer = setTimeout(() => signal("SIGKILL"), graceMs);
        await gone;
        clearTimeout(timer);
        // Whatever else of the group is left (e.g. a proxy the hub did not stop).
        signal("SIGKILL");
    }

    failure(): string {
        return `${this.name} exited (${this.exitCode}); last lines of ${this.log}:\n${tail(this.log)}`;
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` resolves true, failing early if `svc` exits. */
export async function waitFor(what: string, check: () => Promise<boolean>, svc: Service, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (svc.exited) throw new Error(`${what}: ${svc.failure()}`);
        try {
            if (await check()) return;
        } catch {
            // not yet
        }
        await sleep(200);
    }
    throw new Error(`${what}: not ready after ${timeoutMs / 1000}s; last lines of ${svc.log}:\n${tail(svc.log)}`);
}

export function portOpen(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect({ port, host: "127.0.0.1" }, () => {
            s.destroy();
            resolve(true);
        });
        s.on("error", () => resolve(false));
    });
}

/** Random [A-Za-z0-9] string, the shape of @pulumi/random's RandomPassword with special: false. */
export function alnum(n: number): string {
    const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    return Array.from(crypto.randomBytes(n), (b) => chars[b % chars.length]).join("");
}

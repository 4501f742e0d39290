// The directory's pod spec against the symas/openldap image's contract (docs/images.md): the
// program's configuration must name only files the image has, paths the pod mounts, and
// write only where the pod can write (the claim and a memory folder: the root is read-only).
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { CONFIG_DIGEST_ANNOTATION, LDAP_MOUNTS, LDAP_SCHEMAS, LDAP_UID, POD_SLAPD_PATHS, SYMAS } from "../../components/directory/slapd";
import { get } from "../support/helpers";
import { ProgramRun, reveal, runProgram } from "../support/program";

interface Container {
    name: string;
    command?: string[];
    env?: Array<{ name: string; value?: string }>;
    securityContext?: { capabilities?: { add?: string[]; drop?: string[] }; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
    volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
    securityContext: { runAsUser: number; runAsGroup: number; fsGroup: number; runAsNonRoot: boolean };
    initContainers: Container[];
    containers: Container[];
    volumes: Array<{ name: string; emptyDir?: unknown; persistentVolumeClaim?: unknown; configMap?: unknown; secret?: unknown; projected?: unknown }>;
}

let run: ProgramRun;
let pod: PodSpec;
let conf: string;
before(async () => {
    run = await runProgram("dev");
    pod = get(reveal(run.byName("openldap", "Deployment").inputs), "spec.template.spec") as PodSpec;
    conf = (reveal(run.byName("openldap-config", "ConfigMap").inputs) as { data: Record<string, string> }).data["slapd.conf"];
});

/** The folders a container may write: its mounts of the claim and of emptyDirs, not read-only. */
function writable(c: Container): string[] {
    const kinds = new Map(pod.volumes.map((v) => [v.name, v.persistentVolumeClaim ? "claim" : v.emptyDir ? "emptyDir" : "read-only"]));
    return c.volumeMounts.filter((m) => !m.readOnly && kinds.get(m.name) !== "read-only").map((m) => m.mountPath);
}
const under = (p: string, dirs: string[]) => dirs.some((d) => p === d || p.startsWith(`${d}/`));

describe("the directory's pod against the symas/openldap image's contract (docs/images.md)", () => {
    it("runs the image's slapd itself, not its entrypoint, with the program's slapd.conf in the foreground", () => {
        const [server] = pod.containers;
        assert.equal(server.command?.[0], SYMAS.slapd);
        assert.equal(SYMAS.slapd, "/opt/symas/lib/slapd", "Symas's packages install slapd in lib/");
        assert.deepEqual(server.command?.slice(1, 5), ["-d", "stats", "-f", `${LDAP_MOUNTS.config}/slapd.conf`]);
        assert.deepEqual(
            pod.initContainers[0].command,
            ["sh", `${LDAP_MOUNTS.scripts}/ldap-init.sh`],
            "the init container runs the program's script with the image's sh",
        );
        assert.equal(
            get(
                pod.initContainers[0].env?.find((e) => e.name === "SLAPTOOLS"),
                "value",
            ),
            SYMAS.sbin,
        );
    });

    it("as an unprivileged uid with its own group: no file of the image needs writing, the claim is the pod's group's", () => {
        assert.deepEqual(
            { ...pod.securityContext, seccompProfile: undefined },
            { runAsNonRoot: true, runAsUser: LDAP_UID, runAsGroup: LDAP_UID, fsGroup: LDAP_UID, seccompProfile: undefined },
        );
    });

    it("adds back NET_BIND_SERVICE only, which the kernel needs to execute the image's setcap'd slapd, and no privilege escalation", () => {
        for (const c of [...pod.initContainers, ...pod.containers]) {
            assert.deepEqual(c.securityContext?.capabilities, { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }, c.name);
            assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
            assert.equal(c.securityContext?.readOnlyRootFilesystem, true, c.name);
        }
    });

    it("the configuration names the image's schemas and module, and writes only where the pod can write", () => {
        for (const s of LDAP_SCHEMAS) assert.ok(conf.includes(`include ${SYMAS.schemaDir}/${s}.schema\n`), s);
        assert.match(conf, new RegExp(`^modulepath ${SYMAS.modulePath}$`, "m"));
        assert.match(conf, /^moduleload back_mdb$/m);
        const written = [...conf.matchAll(/^(?:pidfile|argsfile|directory) (\S+)$/gm)].map((m) => m[1]);
        assert.equal(written.length, 3);
        for (const c of [pod.containers[0]]) {
            for (const f of written) assert.ok(under(f, writable(c)), `${c.name} can write ${f} (writable: ${writable(c).join(", ")})`);
        }
        assert.ok(under(POD_SLAPD_PATHS.dataDir, writable(pod.initContainers[0])), "the init container loads the tree into the claim");
        assert.ok(under(POD_SLAPD_PATHS.dataDir, [LDAP_MOUNTS.data]) && POD_SLAPD_PATHS.dataDir !== LDAP_MOUNTS.data, "the database is a folder of the claim");
    });

    it("every file the configuration reads is mounted: TLS files, the rootpw include", () => {
        const read = [...conf.matchAll(/^(?:TLSCACertificateFile|TLSCertificateFile|TLSCertificateKeyFile|include) (\S+)$/gm)]
            .map((m) => m[1])
            .filter((f) => !f.startsWith(SYMAS.schemaDir));
        assert.deepEqual(read.sort(), ["/etc/openldap-platform/rootpw.conf", "/tls/ca.crt", "/tls/tls.crt", "/tls/tls.key"]);
        const mounts = pod.containers[0].volumeMounts.map((m) => m.mountPath);
        for (const f of read) assert.ok(under(f, mounts), `${f} is mounted`);
    });

    it("the pod template carries a digest of what slapd reads at start, so a new password or certificate rolls it", () => {
        const annotations = get(reveal(run.byName("openldap", "Deployment").inputs), "spec.template.metadata.annotations") as Record<string, string>;
        assert.match(annotations[CONFIG_DIGEST_ANNOTATION], /^[0-9a-f]{16}$/);
    });
});

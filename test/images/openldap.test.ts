// The directory image's stand-in (images/openldap, symas/openldap:2.6.8-debian-12) against what the
// program's directory pods rely on (components/directory/slapd.ts SYMAS, LDAP_UID, slapdConf, the init
// script; docs/images.md): the /opt/symas layout, slapd's file capability, the user, and the pod's
// own init container and server run in the image as the pod runs them (uid 1001, all capabilities
// dropped but NET_BIND_SERVICE, no_new_privs).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "node:test";

import { ldapCertDnsNames, LDAPS_PORT } from "../../components/directory/client";
import { userCredentials } from "../../components/directory/passwords";
import {
    LDAP_MOUNTS,
    LDAP_SCHEMAS,
    LDAP_UID,
    mdbMaxSize,
    POD_SLAPD_PATHS,
    rootPwLine,
    slapdCommand,
    slapdConf,
    slapdUrls,
    SYMAS,
} from "../../components/directory/slapd";
import { bootstrapLdif, ldapTree } from "../../components/directory/tree";
import { readScript } from "../../components/scripts";
import { loadConfig } from "../../config";
import { inMode, stackConfig } from "../support/helpers";
import { describeImage, fileCaps, inRootfs, type OpenedImage, runInImage, which } from "../support/image-archive";

const POD_USER = `${LDAP_UID}:${LDAP_UID}`; // restrictedPod(LDAP_UID): runAsUser, runAsGroup, fsGroup
const POD_CAPS = ["cap_net_bind_service"]; // drop ALL, add NET_BIND_SERVICE, allowPrivilegeEscalation false

/** Writes the pod's mounts into the unpacked image as the kubelet would mount them. */
function mountPodFiles(img: OpenedImage): { host: string; adminPassword: string } {
    const platform = loadConfig(stackConfig("dev"), "dev");
    const cfg = inMode(platform.ldap, "in-cluster");
    // The server's names as its certificate gives them; the sync Job's is the Service's full name,
    // which here (as the cluster's DNS would) leads to this network namespace's loopback.
    const names = ldapCertDnsNames("openldap", platform.namespace);
    const host = names.find((n) => n.endsWith(".svc.cluster.local"))!;
    fs.appendFileSync(path.join(img.rootfs, "etc", "hosts"), `127.0.0.1\t${host}\n`);
    const tree = ldapTree(cfg);
    const adminPassword = "admin-password-for-the-image-test";
    const put = (p: string, content: string, mode = 0o644) => {
        const f = path.join(img.rootfs, p);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, content, { mode });
    };
    put(`${LDAP_MOUNTS.config}/slapd.conf`, slapdConf(tree, POD_SLAPD_PATHS, { maxSize: mdbMaxSize(cfg.storageSize) }));
    put(`${LDAP_MOUNTS.config}/rootpw.conf`, rootPwLine(adminPassword));
    const { hashes } = userCredentials(
        Buffer.alloc(32, 7),
        cfg.users.map((u) => u.uid),
    );
    put(`${LDAP_MOUNTS.bootstrap}/tree.ldif`, bootstrapLdif(cfg, hashes));
    put(`${LDAP_MOUNTS.scripts}/ldap-init.sh`, readScript("ldap-init.sh"));
    // The server's certificate (the Secret's tls.crt, tls.key, ca.crt): self-signed, for its names.
    const tls = path.join(img.rootfs, LDAP_MOUNTS.tls);
    fs.mkdirSync(tls, { recursive: true });
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            `/CN=${host}`,
            "-addext",
            `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`,
            "-keyout",
            path.join(tls, "tls.key"),
            "-out",
            path.join(tls, "tls.crt"),
        ],
        { stdio: "ignore" },
    );
    fs.copyFileSync(path.join(tls, "tls.crt"), path.join(tls, "ca.crt"));
    // Secret volumes: root's files, group fsGroup, mode 0440 for the key.
    for (const f of ["tls.crt", "tls.key", "ca.crt"]) fs.chownSync(path.join(tls, f), 0, LDAP_UID);
    fs.chmodSync(path.join(tls, "tls.key"), 0o440);
    // The claim and the emptyDir: group-owned by fsGroup, group-writable.
    for (const d of [LDAP_MOUNTS.data, LDAP_MOUNTS.run]) {
        fs.mkdirSync(path.join(img.rootfs, d), { recursive: true });
        fs.chownSync(path.join(img.rootfs, d), 0, LDAP_UID);
        fs.chmodSync(path.join(img.rootfs, d), 0o2775);
    }
    return { host, adminPassword };
}

describeImage("openldap", (img) => {
    it("is written under the reference ldap.image names by default", () => {
        assert.equal(img().ref, "symas/openldap:2.6.8-debian-12");
    });

    it(`runs as uid ${LDAP_UID} (USER ${LDAP_UID}, no passwd entry: the runtime gives it group 0)`, () => {
        assert.equal(img().config.User, String(LDAP_UID));
        const passwd = fs.readFileSync(inRootfs(img(), "/etc/passwd"), "utf8");
        assert.ok(!passwd.split("\n").some((l) => l.split(":")[2] === String(LDAP_UID)), "a passwd entry names uid 1001");
    });

    it("keeps Symas's layout: /opt/symas links to /opt/bitnami/openldap; the Bitnami entrypoint", () => {
        assert.equal(fs.readlinkSync(inRootfs(img(), "/opt/symas", false)), "/opt/bitnami/openldap");
        assert.deepEqual(img().config.Entrypoint, ["/opt/bitnami/scripts/openldap/entrypoint.sh"]);
        assert.ok(which(img(), "/opt/bitnami/scripts/openldap/entrypoint.sh"));
        assert.deepEqual(Object.keys(img().config.ExposedPorts ?? {}).sort(), ["1389/tcp", "1636/tcp"]);
    });

    it(`has slapd at ${SYMAS.slapd} with cap_net_bind_service=eip, and slapadd, slaptest in ${SYMAS.sbin} as the same file`, () => {
        assert.equal(fileCaps(img(), SYMAS.slapd), "cap_net_bind_service=eip");
        const slapd = fs.statSync(inRootfs(img(), SYMAS.slapd));
        for (const tool of ["slapd", "slapadd", "slaptest"]) {
            const st = fs.statSync(inRootfs(img(), `${SYMAS.sbin}/${tool}`));
            assert.equal(st.ino, slapd.ino, `${SYMAS.sbin}/${tool} is not slapd's file`);
        }
    });

    it(`has the ldap* clients the sync Job and the export run in ${SYMAS.bin}, and the shell tools of docs/images.md`, () => {
        for (const p of ["ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami"]) assert.ok(which(img(), `${SYMAS.bin}/${p}`), `${SYMAS.bin}/${p}`);
        for (const p of ["sh", "grep", "mkdir", "sed", "awk", "seq", "printenv", "cat", "date"]) assert.ok(which(img(), p, "/usr/sbin:/usr/bin:/sbin:/bin"), p);
    });

    it(`has the schemas ${LDAP_SCHEMAS.join(", ")} in ${SYMAS.schemaDir} and back_mdb in ${SYMAS.modulePath}`, () => {
        for (const s of LDAP_SCHEMAS) assert.ok(fs.existsSync(inRootfs(img(), `${SYMAS.schemaDir}/${s}.schema`)), s);
        assert.ok(fs.readdirSync(inRootfs(img(), SYMAS.modulePath)).some((f) => /^back_mdb\.(so|la)$/.test(f)));
    });

    it("refuses to start slapd when the pod drops NET_BIND_SERVICE too (the file capability is really there)", () => {
        const r = runInImage(img(), [`${SYMAS.sbin}/slaptest`, "-VV"], { user: POD_USER, capabilities: [] });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /execve .* failed/);
    });

    it("runs the program's init container and server as the pod does: slaptest, slapadd of the tree, slapd answering LDAPS", () => {
        const { host, adminPassword } = mountPodFiles(img());
        const init = runInImage(img(), ["sh", `${LDAP_MOUNTS.scripts}/ldap-init.sh`], {
            user: POD_USER,
            capabilities: POD_CAPS,
            env: {
                SLAPD_CONF: `${LDAP_MOUNTS.config}/slapd.conf`,
                DATA_DIR: POD_SLAPD_PATHS.dataDir,
                TREE_LDIF: `${LDAP_MOUNTS.bootstrap}/tree.ldif`,
                SLAPTOOLS: SYMAS.sbin,
            },
        });
        assert.equal(init.status, 0, init.stdout + init.stderr);
        assert.match(init.stdout, /directory database created/);
        // The server and a client in the same namespaces: slapd in the background, ldapwhoami as the admin over LDAPS.
        // (The log goes to the pod's emptyDir: the root filesystem is read-only in the pod.)
        const cfg = inMode(loadConfig(stackConfig("dev"), "dev").ldap, "in-cluster");
        const server = slapdCommand(SYMAS.slapd, `${LDAP_MOUNTS.config}/slapd.conf`, slapdUrls(cfg.tlsStrategy))
            .map((a) => `'${a}'`)
            .join(" ");
        const script = [
            `${server} > ${LDAP_MOUNTS.run}/test.log 2>&1 &`,
            "pid=$!",
            "status=1",
            `for i in $(seq 50); do if LDAPTLS_CACERT=${LDAP_MOUNTS.tls}/ca.crt ${SYMAS.bin}/ldapwhoami -H ldaps://${host}:${LDAPS_PORT}/ -x -D '${ldapTree(cfg).adminDn}' -w "$ADMIN_PASSWORD"; then status=0; break; fi; sleep 0.2; done`,
            `kill $pid; wait; [ $status -eq 0 ] || cat ${LDAP_MOUNTS.run}/test.log >&2; exit $status`,
        ].join("\n");
        const r = runInImage(img(), ["sh", "-c", script], { user: POD_USER, capabilities: POD_CAPS, env: { ADMIN_PASSWORD: adminPassword } });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^dn:/m);
    });
});

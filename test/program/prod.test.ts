import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { at, get } from "../support/helpers";
import { isSecretWrapped, plainStrings, ProgramRun, reveal, runProgram } from "../support/program";

// Values a user would have set with `pulumi config set --secret`.
const MYSQL_PASSWORD = "Ext3rnal-MySQL-pw";
const LDAP_PASSWORD = "Search-User-pw-123";

let run: ProgramRun;
before(async () => {
    run = await runProgram("prod", {}, { mysqlPassword: MYSQL_PASSWORD, ldapBindPassword: LDAP_PASSWORD });
});

describe("program (prod stack, under mocks)", () => {
    it("deploys no in-cluster NFS server, directory or database", () => {
        const names = run.resources.map((r) => `${r.type.split(":").pop()}/${r.name}`);
        for (const absent of ["Deployment/nfs-server", "Deployment/openldap", "StatefulSet/mysql", "PersistentVolumeClaim/mysql-data"]) {
            assert.ok(!names.includes(absent), `${absent} should not exist`);
        }
        assert.equal(run.ofType("jupyterhub:index:OpenLdap").length, 0);
    });

    it("points the home class and the shared volume at the site's NFS export", () => {
        const sc = run.byName("nfs-home").inputs;
        assert.equal(get(sc, "parameters.server"), "nfs.example.org");
        assert.equal(get(sc, "parameters.share"), "/exports/jupyterhub");
        assert.equal(get(sc, "parameters.onDelete"), "archive");
        // A root-squashed export: the class sets the home's mode (test/scripts/root-squash.test.ts).
        assert.equal(get(sc, "parameters.mountPermissions"), "0777");
        const pv = run.byName("nfs-shared", "PersistentVolume").inputs;
        assert.equal(get(pv, "spec.csi.volumeAttributes.share"), "/exports/jupyterhub/shared");
        assert.equal(get(pv, "spec.persistentVolumeReclaimPolicy"), "Retain");
    });

    it("the external MySQL and directory passwords reach the hub only inside its Secret", () => {
        const data = run.byName("jupyterhub-secrets", "Secret").inputs.stringData;
        assert.ok(isSecretWrapped(data));
        const merged = JSON.parse(String(at(reveal(data), "values.yaml"))) as unknown;
        assert.equal(get(merged, "hub.db.url"), `mysql+pymysql://jupyterhub:${encodeURIComponent(MYSQL_PASSWORD)}@mysql.example.org:3306/jupyterhub`);
        assert.equal(get(merged, "hub.config.LDAPAuthenticator.lookup_dn_search_password"), LDAP_PASSWORD);
        const values = JSON.stringify(run.byName("jupyterhub").inputs.values);
        assert.ok(!values.includes(MYSQL_PASSWORD) && !values.includes(LDAP_PASSWORD));
    });

    it("config secrets never appear in clear text in any input", () => {
        for (const r of run.resources) {
            for (const [path, s] of plainStrings(r.inputs)) {
                assert.ok(!s.includes(MYSQL_PASSWORD) && !s.includes(LDAP_PASSWORD), `${r.type} ${r.name} ${path}`);
            }
        }
    });

    it("mounts the configured directory CA and uses the given TLS secret without generating one", () => {
        const data = get(run.byName("jupyterhub-ldap-ca").inputs, "data") as Record<string, string>;
        assert.match(data["ca.crt"], /^-----BEGIN CERTIFICATE-----\n {0}REPLACE-WITH-YOUR-DIRECTORY-CA/);
        assert.equal(run.ofType("tls:index/selfSignedCert:SelfSignedCert").length, 0);
        assert.deepEqual(get(reveal(run.byName("jupyterhub").inputs), "values.ingress.tls"), [
            { hosts: ["hub.example.org"], secretName: "hub-example-org-tls" },
        ]);
        assert.equal(run.outputs.hubUrl, "https://hub.example.org/");
    });

    it("exports the directory's base DN and no user passwords", () => {
        assert.equal(run.outputs.ldapBaseDn, "dc=example,dc=org");
        assert.equal(run.outputs.ldapUserPasswords, undefined);
        assert.equal(run.outputs.mysqlService, "mysql.example.org:3306");
    });
});

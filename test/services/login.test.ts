// Login end to end with real services and the configuration this program generates, without
// Kubernetes: OpenLDAP (Debian's slapd), a MySQL-compatible server (Debian's MariaDB) and
// JupyterHub with LDAPAuthenticator and configurable-http-proxy, all on 127.0.0.1. The test bed,
// what comes from the program and what stands in for what: test/support/services-harness.ts.
//
// Run: .ci/services-setup.sh once (installs everything, idempotent), then `npm run test:services`.
import * as assert from "node:assert/strict";
import { after, before, describe } from "node:test";

import { parseConfig, PlatformConfig } from "../../config";
import { ldapCertDnsNames } from "../../components/openldap";
import { rawStackConfig } from "../support/helpers";
import { tail } from "../support/services-env";
import { Json, TestBed } from "../support/services-harness";

const cfg: PlatformConfig = parseConfig(rawStackConfig("dev"), "dev");
const bed = new TestBed(cfg, "services");
const directory = bed.directory;
const ADMIN = cfg.hub.admins[0];
const ALLOWED_GROUP = directory.allowedGroups[0];
const OUTSIDER = directory.users.map((u) => u.uid).find((uid) => !directory.groups.some((g) => g.members.includes(uid)))!;

// --- the test ------------------------------------------------------------------------------------

describe(`login with real OpenLDAP, MariaDB and JupyterHub, configured from Pulumi.${cfg.stack}.yaml`, () => {
    before(() => bed.setUp(), { timeout: 180_000 });
    after(() => bed.tearDown());

    bed.test("the generated values name the in-cluster services; the test swaps only addresses, ports and the CA path", () => {
        const hubSection = bed.values.hub as { config: Record<string, Json>; db: { url: string } };
        const ldapAuth = hubSection.config.LDAPAuthenticator;
        assert.equal(ldapAuth.server_address, `openldap.${cfg.namespace}.svc.cluster.local`);
        assert.equal(ldapAuth.server_port, 636);
        assert.equal((ldapAuth.tls_kwargs as Json).ca_certs_file, "/etc/jupyterhub/ldap-ca/ca.crt");
        assert.ok(ldapCertDnsNames("openldap", cfg.namespace).includes("localhost"), "the certificate covers localhost");
        const local = bed.hubValuesForTest("/ca.crt");
        const swapped = structuredClone(local) as { config: Record<string, Json> };
        const l = swapped.config.LDAPAuthenticator;
        l.server_address = ldapAuth.server_address;
        l.server_port = ldapAuth.server_port;
        (l.tls_kwargs as Json).ca_certs_file = (ldapAuth.tls_kwargs as Json).ca_certs_file;
        assert.deepEqual(swapped.config, hubSection.config, "nothing else in hub.config differs from what hubValues made");
        // The chart's URL has no password; the Secret's, merged over it at the hub's start, has.
        assert.equal((local.db as Json).url, `mysql+pymysql://${cfg.mysql.user}@127.0.0.1:${bed.ports.mysql}/${cfg.mysql.database}`);
        assert.match(
            (JSON.parse(bed.generatedSecret()["values.yaml"]) as { hub: { db: { url: string } } }).hub.db.url,
            new RegExp(`^mysql\\+pymysql://${cfg.mysql.user}:[A-Za-z0-9]+@127\\.0\\.0\\.1:${bed.ports.mysql}/${cfg.mysql.database}$`),
        );
    });

    bed.test("slapd serves the bootstrapped tree over LDAPS, with the {SSHA} passwords, to authenticated users only", () => {
        assert.equal(bed.ldap(bed.tools.ldapwhoami, ["-D", bed.tree.userDn(ADMIN), "-w", bed.passwords[ADMIN]]).trim(), `dn:${bed.tree.userDn(ADMIN)}`);
        assert.throws(() => bed.ldap(bed.tools.ldapwhoami, ["-D", bed.tree.userDn(ADMIN), "-w", "wrong"]), /Invalid credentials/);
        assert.throws(
            () => bed.ldap(bed.tools.ldapsearch, ["-LLL", "-b", bed.tree.baseDn, "uid=*"]),
            /Inappropriate authentication|unwilling|authentication required/i,
        );
        const members = bed.ldap(bed.tools.ldapsearch, [
            "-LLL",
            "-D",
            bed.tree.userDn(OUTSIDER),
            "-w",
            bed.passwords[OUTSIDER],
            "-b",
            bed.tree.groupDn(ALLOWED_GROUP),
            "-s",
            "base",
            "member",
        ]);
        assert.match(members, new RegExp(`member: ${bed.tree.userDn(ADMIN)}`));
        assert.doesNotMatch(members, new RegExp(`member: ${bed.tree.userDn(OUTSIDER)}`));
        const others = bed.ldap(bed.tools.ldapsearch, [
            "-LLL",
            "-D",
            bed.tree.userDn(OUTSIDER),
            "-w",
            bed.passwords[OUTSIDER],
            "-b",
            bed.tree.userDn(ADMIN),
            "-s",
            "base",
            "userPassword",
        ]);
        assert.doesNotMatch(others, /userPassword/, "a user cannot read another's password hash");
    });

    bed.test(`${ADMIN} (in ${ALLOWED_GROUP}) logs in with the right password: 302 and login cookies`, async () => {
        bed.assertLoggedIn(await bed.login(ADMIN, bed.passwords[ADMIN]), ADMIN);
    });

    bed.test(`${ADMIN} with a wrong password is refused: the login form again, no login cookie`, async () => {
        const r = await bed.login(ADMIN, `${bed.passwords[ADMIN]}x`);
        bed.assertRefused(r, `${ADMIN} (wrong password)`);
        assert.equal(r.status, 403);
        assert.match(r.body, /Invalid username or password/);
        assert.match(r.body, /<form[^>]*action="[^"]*\/hub\/login/);
        assert.match(r.hubLog(), new RegExp(`Failed to bind user '${ADMIN}'`), "refused by the directory (bind failed)");
    });

    bed.test(`${OUTSIDER} (valid password, not in ${ALLOWED_GROUP}) is refused`, async () => {
        assert.doesNotThrow(
            () => bed.ldap(bed.tools.ldapwhoami, ["-D", bed.tree.userDn(OUTSIDER), "-w", bed.passwords[OUTSIDER]]),
            "the password itself is right",
        );
        const r = await bed.login(OUTSIDER, bed.passwords[OUTSIDER]);
        bed.assertRefused(r, OUTSIDER);
        assert.equal(r.status, 403);
        assert.match(r.hubLog(), new RegExp(`User '${OUTSIDER}' not allowed`), "refused by the allowed-groups check, not by the bind");
    });

    bed.test(`the REST API lists ${ADMIN} as an admin (hub.admins) and ${OUTSIDER} as no user at all`, async () => {
        const demo = await bed.api(`/users/${ADMIN}`);
        assert.equal(demo.status, 200, JSON.stringify(demo.body));
        assert.equal(demo.body.admin, true);
        const outsider = await bed.api(`/users/${OUTSIDER}`);
        assert.ok(outsider.status === 404 || outsider.body.admin === false, `outsider: ${outsider.status} ${JSON.stringify(outsider.body)}`);
        const all = await bed.api("/users");
        assert.equal(all.status, 200);
        const names = (all.body as unknown as Array<{ name: string; admin: boolean }>).map((u) => `${u.name}${u.admin ? " (admin)" : ""}`);
        assert.deepEqual(names, [`${ADMIN} (admin)`]);
    });

    bed.test("auth_state is encrypted with the existing Secret's CryptKeeper keys (no JUPYTERHUB_CRYPT_KEY in the hub's environment)", async () => {
        // enable_auth_state without a key stops the hub at start; here it runs, and decrypts:
        const demo = await bed.api(`/users/${ADMIN}`);
        const authState = demo.body.auth_state as { ldap_groups?: string[] } | null;
        assert.deepEqual(authState?.ldap_groups, [bed.tree.groupDn(ALLOWED_GROUP)], JSON.stringify(demo.body));
        const [[stored]] = bed.sqlAsHubUser(`SELECT HEX(encrypted_auth_state) FROM users WHERE name = '${ADMIN}'`);
        assert.ok(stored.length > 64, "users.encrypted_auth_state is set");
        assert.doesNotMatch(Buffer.from(stored, "hex").toString("latin1"), /ldap_groups/, "and is not plain JSON");
    });

    bed.test(`the hub's tables are in the MySQL database "${cfg.mysql.database}"`, () => {
        const tables = bed
            .sqlAsRoot(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${cfg.mysql.database}' ORDER BY table_name;`)
            .split("\n");
        for (const t of ["alembic_version", "api_tokens", "groups", "oauth_clients", "roles", "servers", "services", "spawners", "users"]) {
            assert.ok(tables.includes(t), `table ${t} exists (have: ${tables.join(", ")})`);
        }
    });

    bed.test(`the generated hub user "${cfg.mysql.user}" reaches them with its password and sees ${ADMIN} as admin`, () => {
        assert.deepEqual(bed.sqlAsHubUser(`SELECT name, admin FROM users WHERE name = '${ADMIN}'`), [[ADMIN, "1"]]);
        const grants = bed.sqlAsHubUser("SHOW GRANTS FOR CURRENT_USER").map((r) => r[0]);
        assert.ok(
            grants.some((g) => g.includes(`ALL PRIVILEGES ON \`${cfg.mysql.database}\`.*`)),
            grants.join("\n"),
        );
        assert.throws(() => bed.sqlAsHubUser("SELECT COUNT(*) FROM mysql.user"), /denied/, "and nothing outside its database");
    });

    bed.test(`after a hub restart ${ADMIN} is still in the database, still admin, and logs in again`, async () => {
        await bed.restartHub();
        assert.deepEqual(bed.sqlAsHubUser(`SELECT name FROM users WHERE name = '${ADMIN}'`), [[ADMIN]]);
        const demo = await bed.api(`/users/${ADMIN}`);
        assert.equal(demo.status, 200);
        assert.equal(demo.body.admin, true);
        bed.assertLoggedIn(await bed.login(ADMIN, bed.passwords[ADMIN]), `${ADMIN} after restart`);
    });

    bed.test("the directory's certificate is verified: with an unrelated CA as tls_kwargs.ca_certs_file the login fails", async () => {
        await bed.restartHub(bed.p("tls", "wrong-ca", "ca.crt"));
        const r = await bed.login(ADMIN, bed.passwords[ADMIN]);
        bed.assertRefused(r, `${ADMIN} (hub trusts the wrong CA)`);
        // ldapauthenticator 2.0 raises on TLS errors (no "invalid password" page): the hub answers 500.
        assert.match(r.hubLog(), /CERTIFICATE_VERIFY_FAILED|certificate verify failed/, `hub log shows the TLS failure:\n${tail(bed.hub!.log, 30)}`);
    });
});

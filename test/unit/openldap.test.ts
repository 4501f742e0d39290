import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { describe, it } from "node:test";

import { parseConfig } from "../../config";
import { bootstrapLdif, externalAuthSettings, groupSyncLdif, inClusterAuthSettings, ldapCertDnsNames, ldapTree, sshaHash } from "../../components/openldap";
import { ldapAuthenticatorConfig } from "../../components/jupyterhub";
import { inMode } from "../support/helpers";

const cfg = inMode(
    parseConfig(
        {
            ldap: {
                baseDn: "dc=example,dc=org",
                organisation: "Example Org",
                users: [
                    { uid: "alice", givenName: "Alice", sn: "Liddell", mail: "alice@example.org" },
                    { uid: "bob", givenName: "Bob", sn: "Müller" },
                ],
                groups: [
                    { cn: "hub-users", members: ["alice", "bob"] },
                    { cn: "hub-admins", members: ["alice"] },
                ],
                allowedGroups: ["hub-users"],
            },
        },
        "dev",
    ).ldap,
    "in-cluster",
);

describe("openldap: tree and LDIF", () => {
    it("derives every DN from the base DN and OUs", () => {
        const t = ldapTree(cfg);
        assert.equal(t.usersDn, "ou=people,dc=example,dc=org");
        assert.equal(t.groupsDn, "ou=groups,dc=example,dc=org");
        assert.equal(t.adminDn, "cn=admin,dc=example,dc=org");
        assert.equal(t.userDn("alice"), "uid=alice,ou=people,dc=example,dc=org");
        assert.equal(t.bindDnTemplate.replace("{username}", "alice"), t.userDn("alice"));
    });

    it("hashes passwords as {SSHA}: SHA-1 of password and salt, salt appended", () => {
        const salt = Buffer.from("0011223344556677", "hex");
        const hash = sshaHash("s3cret", salt);
        assert.ok(hash.startsWith("{SSHA}"));
        const raw = Buffer.from(hash.slice(6), "base64");
        assert.equal(raw.length, 28);
        assert.deepEqual(raw.subarray(20), salt);
        // Independent check of the digest; and a known vector computed with Python's hashlib.
        assert.deepEqual(
            raw.subarray(0, 20),
            crypto
                .createHash("sha1")
                .update(Buffer.concat([Buffer.from("s3cret"), salt]))
                .digest(),
        );
        assert.equal(sshaHash("secret", Buffer.from("salt1234")), "{SSHA}Wcm1xEisNjqp921ALcHfuQ7avFdzYWx0MTIzNA==");
    });

    const ldif = bootstrapLdif(cfg, { alice: "{SSHA}aaa", bob: "{SSHA}bbb" });

    it("bootstraps the base entry, both OUs, users and groups, parents first", () => {
        const dns = [...ldif.matchAll(/^dn: (.*)$/gm)].map((m) => m[1]);
        assert.deepEqual(dns, [
            "dc=example,dc=org",
            "ou=people,dc=example,dc=org",
            "ou=groups,dc=example,dc=org",
            "uid=alice,ou=people,dc=example,dc=org",
            "uid=bob,ou=people,dc=example,dc=org",
            "cn=hub-users,ou=groups,dc=example,dc=org",
            "cn=hub-admins,ou=groups,dc=example,dc=org",
        ]);
        assert.match(ldif, /dn: dc=example,dc=org\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example Org/);
    });

    it("stores only hashes, never plain passwords", () => {
        assert.match(ldif, /uid=alice[^]*?userPassword: \{SSHA\}aaa/);
        assert.doesNotMatch(ldif, /userPassword: (?!\{SSHA\})/);
    });

    it("encodes non-ASCII values in base64 as LDIF requires", () => {
        assert.match(ldif, new RegExp(`sn:: ${Buffer.from("Müller").toString("base64")}`));
    });

    it("lists group members by full DN", () => {
        const group = ldif.split("\n\n").find((e) => e.startsWith("dn: cn=hub-users"))!;
        assert.deepEqual(
            group.split("\n").filter((l) => l.startsWith("member:")),
            ["member: uid=alice,ou=people,dc=example,dc=org", "member: uid=bob,ou=people,dc=example,dc=org"],
        );
    });

    it("refuses to build a tree with a user whose hash is missing", () => {
        assert.throws(() => bootstrapLdif(cfg, { alice: "{SSHA}a" }), /no password hash for LDAP user "bob"/);
    });

    it("resets group membership to the config", () => {
        const sync = groupSyncLdif(cfg);
        assert.match(
            sync,
            /dn: cn=hub-admins,ou=groups,dc=example,dc=org\nchangetype: modify\nreplace: member\nmember: uid=alice,ou=people,dc=example,dc=org\n-/,
        );
    });

    it("certificate names cover the Service from inside and outside the namespace", () => {
        assert.deepEqual(ldapCertDnsNames("openldap", "hub"), ["openldap", "openldap.hub", "openldap.hub.svc", "openldap.hub.svc.cluster.local", "localhost"]);
    });
});

describe("openldap: what the authenticator is told", () => {
    it("in-cluster: LDAPS to the Service, the bootstrapped bind template, group DNs, the program's CA", () => {
        const s = inClusterAuthSettings(cfg, "hub");
        const c = ldapAuthenticatorConfig(s);
        assert.equal(c.server_address, "openldap.hub.svc.cluster.local");
        assert.equal(c.server_port, 636);
        assert.equal(c.tls_strategy, "on_connect");
        assert.deepEqual(c.bind_dn_template, ["uid={username},ou=people,dc=example,dc=org"]);
        assert.deepEqual(c.allowed_groups, ["cn=hub-users,ou=groups,dc=example,dc=org"]);
        assert.deepEqual(c.tls_kwargs, { ca_certs_file: "/etc/jupyterhub/ldap-ca/ca.crt", validate: 2 });
        assert.ok(ldapCertDnsNames("openldap", "hub").includes(String(c.server_address)), "the certificate must name the address the hub dials");
    });

    it("external with lookup_dn: search user, base and attribute; no CA when none is given", () => {
        const ext = inMode(
            parseConfig(
                {
                    ldap: {
                        mode: "external",
                        server: "ldap.corp",
                        baseDn: "dc=corp",
                        lookupDn: true,
                        searchUser: "cn=svc,dc=corp",
                        allowedGroups: ["cn=staff,dc=corp"],
                    },
                    ldapBindPassword: "<secret>",
                },
                "prod",
            ).ldap,
            "external",
        );
        const c = ldapAuthenticatorConfig(externalAuthSettings(ext));
        assert.equal(c.lookup_dn, true);
        assert.equal(c.user_search_base, "dc=corp");
        assert.equal(c.lookup_dn_search_user, "cn=svc,dc=corp");
        assert.equal(c.server_port, 389);
        assert.equal(c.tls_strategy, "before_bind");
        assert.equal(c.tls_kwargs, undefined);
        assert.equal(c.bind_dn_template, undefined);
        // The search password travels in the hub's existing Secret (hubSecretData), never here.
        assert.equal("lookup_dn_search_password" in c, false);
    });
});

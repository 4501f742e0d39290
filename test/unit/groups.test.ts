// Directory groups: which groups the hub reads, the authenticator settings, the spawn hooks and
// the Python the hub runs. The spawn hooks' Python is run here with python3 against stand-ins for
// the spawner and the traitlets config; with KubeSpawner and JupyterHub themselves it runs in the
// services suite (test/services/groups.test.ts).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

import { parseConfig, PlatformConfig } from "../../config";
import {
    directoryGroups,
    directoryGroupsPy,
    groupNameOfDn,
    groupSearchConfig,
    needsGroupAuthenticator,
    spawnHooks,
    SpawnHooks,
    spawnHooksPy,
} from "../../components/groups";
import { hubValues, HubWiring, ldapAuthenticatorConfig } from "../../components/hub";
import { groupSharesPath, PREPARE_EXPORTS_SCRIPT, prepareExportsEnv } from "../../components/storage";
import { scriptPath } from "../../components/scripts";
import { externalAuthSettings, ldapAuthSettings } from "../../components/directory/client";
import { get, inMode, onNfs, rawStackConfig } from "../support/helpers";

const dev = parseConfig(rawStackConfig("dev"), "dev");
/**
 * The interpreter `python3` on PATH starts, asked once: a version manager's shim (pyenv's is a bash
 * script that starts some twenty processes) would otherwise run again for every script below.
 */
const PYTHON3 = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
const dn = (cn: string) => `cn=${cn},ou=groups,dc=dev,dc=jupyterhub,dc=local`;
const ext = {
    mode: "external",
    server: "ldap.example.org",
    baseDn: "dc=example,dc=org",
    bindDnTemplates: ["uid={username},ou=people,dc=example,dc=org"],
    allowedGroups: ["cn=staff,ou=groups,dc=example,dc=org"],
    adminGroups: ["cn=hub-admins,ou=teams,dc=example,dc=org"],
};

/** The wiring index.ts gives the hub. */
const wiring = ({ nfs, ldap, mysql, profiles, namespace }: PlatformConfig): HubWiring => ({
    dbUrl: "mysql+pymysql://jupyterhub@mysql:3306/jupyterhub",
    dbPoolRecycle: mysql.poolRecycle,
    homeStorageClass: "jupyterhub-home",
    shared: nfs.shared.enabled ? { claimName: "jupyterhub-shared", mountPath: nfs.shared.mountPath, readOnlyForUsers: nfs.shared.readOnlyForUsers } : undefined,
    groupShares: nfs.groupShares.length > 0 ? { claimName: "jupyterhub-group-shares", groups: nfs.groupShares } : undefined,
    ldap: ldapAuthSettings(ldap, namespace),
    directoryGroups: directoryGroups(ldap, profiles, nfs.groupShares),
    ldapCaConfigMap: "jupyterhub-ldap-ca",
});

describe("groups: which directory groups the hub reads", () => {
    it("in-cluster with sync (the default): every bootstrapped group, so JupyterHub's groups are the directory's", () => {
        const g = directoryGroups(dev.ldap, dev.profiles, dev.nfs.groupShares)!;
        assert.equal(inMode(dev.ldap, "in-cluster").syncGroups, true);
        assert.deepEqual(g.searched, [
            { dn: dn("jupyterhub-users"), name: "jupyterhub-users" },
            { dn: dn("hub-admins"), name: "hub-admins" },
            { dn: dn("course-101"), name: "course-101" },
            { dn: dn("gpu"), name: "gpu" },
        ]);
        assert.deepEqual(g.login, [dn("jupyterhub-users"), dn("hub-admins")], "admin-group members may log in");
        assert.deepEqual(g.admin, [dn("hub-admins")]);
        assert.ok(needsGroupAuthenticator(g));
    });

    it("in-cluster without sync or admin groups: the allowed groups only, and LDAPAuthenticator as it is", () => {
        const cfg = parseConfig({ ...rawStackConfig("dev"), ldap: { ...(rawStackConfig("dev").ldap as object), adminGroups: [], syncGroups: false } }, "dev");
        const g = directoryGroups(cfg.ldap, cfg.profiles, cfg.nfs.groupShares)!;
        assert.deepEqual(g.searched, [{ dn: dn("jupyterhub-users"), name: "jupyterhub-users" }]);
        assert.equal(needsGroupAuthenticator(g), false);
        const v = hubValues(cfg, wiring(cfg));
        assert.deepEqual(get(v, "hub.config.LDAPAuthenticator.allowed_groups"), [dn("jupyterhub-users")]);
        assert.equal(get(v, "hub.config.Authenticator.manage_groups"), undefined);
        assert.equal(get(v, "hub.extraConfig.20-directory-groups"), undefined);
    });

    it("external: the DNs given, and with sync the profiles' and shares' groups under groupsOu, named by the DN's first value", () => {
        const cfg = parseConfig(
            {
                ldap: { ...ext, syncGroups: true },
                profiles: [{ slug: "standard" }, { slug: "gpu", groups: ["gpu"] }],
                nfs: { groupShares: ["course-101", "gpu"] },
            },
            "dev",
        );
        const g = directoryGroups(cfg.ldap, cfg.profiles, cfg.nfs.groupShares)!;
        assert.deepEqual(g.searched, [
            { dn: "cn=staff,ou=groups,dc=example,dc=org", name: "staff" },
            { dn: "cn=hub-admins,ou=teams,dc=example,dc=org", name: "hub-admins" },
            { dn: "cn=gpu,ou=groups,dc=example,dc=org", name: "gpu" },
            { dn: "cn=course-101,ou=groups,dc=example,dc=org", name: "course-101" },
        ]);
        assert.equal(inMode(cfg.ldap, "external").syncGroups, true);
        const noSync = parseConfig({ ldap: ext, profiles: [{ slug: "standard" }, { slug: "gpu", groups: ["gpu"] }] }, "dev");
        assert.equal(inMode(noSync.ldap, "external").syncGroups, false, "off by default for an external directory");
        assert.deepEqual(
            directoryGroups(noSync.ldap, noSync.profiles, [])!.searched.map((x) => x.name),
            ["staff", "hub-admins"],
        );
        assert.equal(groupNameOfDn("uid=x, ou=y"), "x");
        assert.equal(directoryGroups(parseConfig({ ldap: { mode: "none" }, hub: { authenticatorClass: "dummy" } }, "dev").ldap, [], []), undefined);
    });

    it("without allowed groups nobody is turned away by groups (allow_all), admin groups still count", () => {
        const cfg = parseConfig({ ldap: { ...ext, allowedGroups: [] } }, "dev");
        const g = directoryGroups(cfg.ldap, [], [])!;
        assert.deepEqual(g.login, []);
        assert.deepEqual(g.admin, ["cn=hub-admins,ou=teams,dc=example,dc=org"]);
        assert.equal(get(hubValues(cfg, wiring(cfg)), "hub.config.Authenticator.allow_all"), true);
    });
});

describe("groups: what the chart receives", () => {
    const v = hubValues(dev, wiring(dev));

    it("dev: allowed_groups lists every group the hub reads, groups are managed, the subclass is loaded after the chart's config", () => {
        assert.deepEqual(get(v, "hub.config.LDAPAuthenticator.allowed_groups"), ["jupyterhub-users", "hub-admins", "course-101", "gpu"].map(dn));
        assert.equal(get(v, "hub.config.Authenticator.manage_groups"), true);
        assert.equal(get(v, "hub.config.Authenticator.allow_all"), false);
        const py = String(get(v, "hub.extraConfig.20-directory-groups"));
        assert.match(py, /class DirectoryGroupsLDAPAuthenticator\(_LDAPAuthenticator\)/);
        assert.match(py, /^c\.JupyterHub\.authenticator_class = DirectoryGroupsLDAPAuthenticator$/m);
        const literal = /^_DIRECTORY_GROUPS = _json\.loads\((".*")\)$/m.exec(py)?.[1];
        assert.ok(literal, "the data is one JSON string literal");
        assert.deepEqual(JSON.parse(JSON.parse(literal) as string) as unknown, {
            login: [dn("jupyterhub-users"), dn("hub-admins")],
            admin: [dn("hub-admins")],
            sync: true,
            searched: directoryGroups(dev.ldap, dev.profiles, dev.nfs.groupShares)!.searched,
        });
    });

    it("the member attribute of an external directory becomes LDAPAuthenticator's group search", () => {
        assert.deepEqual(groupSearchConfig(undefined), {});
        assert.deepEqual(groupSearchConfig("member"), { group_search_filter: "(member={userdn})", group_attributes: ["member"] });
        assert.deepEqual(groupSearchConfig("uniqueMember"), { group_search_filter: "(uniqueMember={userdn})", group_attributes: ["uniqueMember"] });
        assert.deepEqual(groupSearchConfig("memberUid"), { group_search_filter: "(memberUid={uid})", group_attributes: ["memberUid"] });
        const cfg = parseConfig({ ldap: { ...ext, groupMemberAttribute: "memberUid" } }, "dev");
        const c = ldapAuthenticatorConfig(externalAuthSettings(inMode(cfg.ldap, "external")));
        assert.equal(c.group_search_filter, "(memberUid={uid})");
        assert.deepEqual(c.group_attributes, ["memberUid"]);
        assert.equal(get(hubValues(dev, wiring(dev)), "hub.config.LDAPAuthenticator.group_search_filter"), undefined, "in-cluster keeps the default");
    });

    it("the generated Python is valid Python 3", () => {
        const hooks = spawnHooks(dev.profiles, wiring(dev))!;
        for (const code of [directoryGroupsPy(directoryGroups(dev.ldap, dev.profiles, dev.nfs.groupShares)!), spawnHooksPy(hooks)]) {
            execFileSync(PYTHON3, ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: code });
        }
    });
});

describe("groups: spawn hooks", () => {
    it("dev needs all three: the shared volume writable for admins, the course share, the GPU profile for gpu", () => {
        assert.deepEqual(spawnHooks(dev.profiles, wiring(dev)), {
            sharedWritableForAdmins: true,
            groupShares: { claimName: "jupyterhub-group-shares", groups: ["course-101"] },
            profileGroups: { gpu: ["gpu"] },
        });
        assert.ok(get(hubValues(dev, wiring(dev)), "hub.extraConfig.10-spawn-hooks"));
    });

    it("a stack that needs none gets no hook", () => {
        const cfg = parseConfig({ ldap: { mode: "none" }, hub: { authenticatorClass: "dummy" } }, "dev");
        assert.equal(spawnHooks(cfg.profiles, wiring(cfg)), undefined);
        assert.equal(get(hubValues(cfg, wiring(cfg)), "hub.extraConfig.10-spawn-hooks"), undefined);
    });

    /**
     * Runs the hooks' Python with python3: `c` a stand-in for the traitlets config (sections with
     * attribute access and .get), spawners stand-ins with a user, its groups and admin flag.
     * Returns what the script prints (JSON).
     */
    function runHooks(hooks: SpawnHooks, script: string): unknown {
        const prelude = [
            "import json, sys, types",
            // tornado.web.HTTPError as the hub has it: a status and a message.
            "class HTTPError(Exception):",
            "    def __init__(self, status, message): super().__init__(message); self.status_code = status",
            "sys.modules['tornado'], sys.modules['tornado.web'] = types.ModuleType('tornado'), types.SimpleNamespace(HTTPError=HTTPError)",
            "class Section(dict):",
            "    __getattr__ = dict.get",
            "    def __setattr__(self, k, v): self[k] = v",
            "class Config(dict):",
            "    def __getattr__(self, k): return self.setdefault(k, Section())",
            "c = Config()",
            "class Group:",
            "    def __init__(self, name): self.name = name",
            "class User:",
            "    def __init__(self, groups, admin=False, name='alice'): self.groups, self.admin, self.name = [Group(g) for g in groups], admin, name",
            "class Spawner:",
            "    def __init__(self, user, volumes, mounts, options=None): self.user, self.volumes, self.volume_mounts, self.user_options = user, volumes, mounts, options",
            // What z2jh sets before running hub.extraConfig: volumes and mounts as dicts, the profiles.
            "VOLUMES = {'volume-{username}': {'name': 'volume-{username}', 'persistentVolumeClaim': {'claimName': '{pvc_name}'}}, 'shared': {'name': 'shared', 'persistentVolumeClaim': {'claimName': 'jupyterhub-shared'}}}",
            "MOUNTS = {'volume-{username}': {'name': 'volume-{username}', 'mountPath': '/home/jovyan'}, '0-shared': {'name': 'shared', 'mountPath': '/mnt/shared', 'readOnly': True}}",
            "c.KubeSpawner.profile_list = [{'slug': 'standard', 'default': True}, {'slug': 'gpu'}]",
        ].join("\n");
        const out = execFileSync(PYTHON3, ["-c", `${prelude}\n${spawnHooksPy(hooks)}\n${script}`], { encoding: "utf8" });
        return JSON.parse(out) as unknown;
    }

    const hooks = spawnHooks(dev.profiles, wiring(dev))!;

    it("a course member's pod mounts the course share read-write at /mnt/groups/<group>; a non-member's has neither volume nor mount", () => {
        const out = runHooks(
            hooks,
            [
                "member = Spawner(User(['course-101', 'jupyterhub-users']), dict(VOLUMES), dict(MOUNTS))",
                "other = Spawner(User(['jupyterhub-users']), dict(VOLUMES), dict(MOUNTS))",
                "for s in (member, other): c.KubeSpawner.pre_spawn_hook(s)",
                "print(json.dumps({'member': [member.volumes, member.volume_mounts], 'other': [other.volumes, other.volume_mounts]}))",
            ].join("\n"),
        ) as Record<string, [Array<Record<string, unknown>>, Array<Record<string, unknown>>]>;
        const [volumes, mounts] = out.member;
        assert.deepEqual(volumes.at(-1), { name: "group-shares", persistentVolumeClaim: { claimName: "jupyterhub-group-shares" } });
        assert.deepEqual(mounts.at(-1), { name: "group-shares", mountPath: "/mnt/groups/course-101", subPath: "course-101" });
        assert.equal(mounts.at(-1)!.readOnly, undefined, "read-write");
        // z2jh's dicts become lists in KubeSpawner's order (sorted by key), nothing lost.
        assert.deepEqual(
            mounts.slice(0, -1).map((m) => m.name),
            ["shared", "volume-{username}"],
        );
        const [otherVolumes, otherMounts] = out.other;
        assert.ok(!JSON.stringify(otherVolumes).includes("group-shares") && !JSON.stringify(otherMounts).includes("/mnt/groups"), JSON.stringify(out.other));
        assert.equal(otherMounts.find((m) => m.name === "shared")!.readOnly, true, "the shared volume stays read-only for users");
    });

    it("admins get the shared volume writable; the hook starts again from the configured volumes at every start", () => {
        const out = runHooks(
            hooks,
            [
                "s = Spawner(User(['course-101'], admin=True), dict(VOLUMES), dict(MOUNTS))",
                "c.KubeSpawner.pre_spawn_hook(s)",
                "first = [dict(m) for m in s.volume_mounts]",
                // Left the course and lost admin; the same spawner object starts again.
                "s.user = User([], admin=False)",
                "c.KubeSpawner.pre_spawn_hook(s)",
                "print(json.dumps({'first': first, 'second': s.volume_mounts, 'volumes': s.volumes}))",
            ].join("\n"),
        ) as { first: Array<Record<string, unknown>>; second: Array<Record<string, unknown>>; volumes: Array<Record<string, unknown>> };
        assert.equal(out.first.find((m) => m.name === "shared")!.readOnly, false);
        assert.equal(out.first.filter((m) => m.name === "group-shares").length, 1);
        assert.equal(out.second.find((m) => m.name === "shared")!.readOnly, true);
        assert.deepEqual(
            out.second.filter((m) => m.name === "group-shares"),
            [],
        );
        assert.deepEqual(
            out.volumes.map((v) => v.name),
            ["shared", "volume-{username}"],
        );
    });

    it("profiles: the GPU profile is offered to gpu members only, the others get the rest", () => {
        const out = runHooks(
            hooks,
            [
                "offer = c.KubeSpawner.profile_list",
                "print(json.dumps({g: [p['slug'] for p in offer(Spawner(User(gs), {}, {}))] for g, gs in {'gpu': ['gpu'], 'none': [], 'other': ['course-101']}.items()}))",
            ].join("\n"),
        );
        assert.deepEqual(out, { gpu: ["standard", "gpu"], none: ["standard"], other: ["standard"] });
    });

    it("profiles: a start naming a profile the user is not offered is refused with a 403 that says why; members, other profiles and no profile start", () => {
        const out = runHooks(
            hooks,
            [
                "def start(groups, options):",
                "    try:",
                "        c.KubeSpawner.pre_spawn_hook(Spawner(User(groups, name='bob'), dict(VOLUMES), dict(MOUNTS), options))",
                "        return 'started'",
                "    except HTTPError as e:",
                "        return [e.status_code, str(e)]",
                "cases = {'api': ([], {'profile': 'gpu'}), 'form': ([], {'profile': ['gpu']}), 'member': (['gpu'], {'profile': 'gpu'}),",
                "         'standard': ([], {'profile': 'standard'}), 'none': ([], {}), 'unset': ([], None)}",
                "print(json.dumps({k: start(*v) for k, v in cases.items()}))",
            ].join("\n"),
        );
        const refused = [403, "The profile 'gpu' is only for members of the groups gpu, and bob is in none of them"];
        assert.deepEqual(out, { api: refused, form: refused, member: "started", standard: "started", none: "started", unset: "started" });
    });

    it("profiles alone (no volumes to change) still get the hook that refuses a hidden profile", () => {
        const only = spawnHooks([{ ...dev.profiles[0], slug: "gpu", groups: ["gpu"] }], {})!;
        const out = runHooks(
            only,
            [
                "s = Spawner(User([]), dict(VOLUMES), dict(MOUNTS), {'profile': 'gpu'})",
                "try:",
                "    c.KubeSpawner.pre_spawn_hook(s); print(json.dumps('started'))",
                "except HTTPError as e:",
                "    print(json.dumps([e.status_code, s.volumes == VOLUMES]))",
            ].join("\n"),
        );
        assert.deepEqual(out, [403, true]);
    });
});

/** The directories of prepareExportsEnv, without the exports file's keys (test/unit/nfs-fence.test.ts). */
const pick = ({ EXPORT_ROOT, EXPORT_DIRS }: Record<string, string>) => ({ EXPORT_ROOT, EXPORT_DIRS });

describe("groups: the NFS side of group shares", () => {
    it("one directory of the export holds the groups' directories, prepared on the in-cluster server", () => {
        assert.equal(groupSharesPath(onNfs(dev.nfs)), "/groups");
        assert.ok(dev.nfs.mode === "in-cluster");
        const devNfs = dev.nfs;
        assert.deepEqual(pick(prepareExportsEnv(devNfs)), { EXPORT_ROOT: "/exports", EXPORT_DIRS: "shared groups groups/course-101" });
        const none = parseConfig({ ldap: { mode: "none" }, hub: { authenticatorClass: "dummy" } }, "dev");
        assert.ok(none.nfs.mode === "in-cluster");
        assert.deepEqual(pick(prepareExportsEnv(none.nfs)), { EXPORT_ROOT: "/exports", EXPORT_DIRS: "shared" });
        // The init container's script, run on an export that has the shared directory already (as
        // made by an earlier start, without the mode): every directory is there and writable by all.
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-exports-"));
        try {
            fs.mkdirSync(path.join(root, "shared"), { mode: 0o755 });
            execFileSync("dash", [scriptPath(PREPARE_EXPORTS_SCRIPT)], { env: { PATH: "/usr/bin:/bin", ...prepareExportsEnv(devNfs, root, root) } });
            for (const d of ["shared", "groups", "groups/course-101"]) assert.equal(fs.statSync(path.join(root, d)).mode & 0o7777, 0o777, d);
            assert.deepEqual(fs.readdirSync(root).sort(), ["exports", "groups", "shared"]);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
        const prod = parseConfig({ ...rawStackConfig("prod"), mysqlPassword: "<secret>", ldapBindPassword: "<secret>" }, "prod");
        assert.equal(groupSharesPath(onNfs(prod.nfs)), "/exports/jupyterhub/groups");
    });
});

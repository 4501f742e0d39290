// Directory groups end to end with real services and the generated configuration (test bed:
// test/support/services-harness.ts): OpenLDAP bootstrapped with the dev stack's groups, JupyterHub 5.5 with
// ldapauthenticator 2.0.2 and the hub.extraConfig the program generates (components/groups.ts),
// and KubeSpawner 7.0.0's own profile, user-option and pod-manifest code, whose manifest the
// spawner records instead of creating the pod.
//
// The dev stack's groups: hub-admins (teacher) is the admin group, gpu (student) alone is offered
// the GPU profile, course-101 (teacher, student) has a group share; demo is an admin through
// hub.admins and in none of them.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe } from "node:test";

import { GROUP_SHARES, parseConfig, PlatformConfig } from "../../config";
import { GROUP_SHARES_CLAIM } from "../../components/storage";
import { rawStackConfig } from "../support/helpers";
import { Json, Login, TestBed } from "../support/services-harness";

const raw = rawStackConfig("dev");
const cfg: PlatformConfig = parseConfig(raw, "dev");
const bed = new TestBed(cfg, "groups");
const directory = bed.directory;

const ADMIN_GROUP = directory.adminGroups[0];
const membersOf = (cn: string) => directory.groups.find((g) => g.cn === cn)!.members;
const gpuProfile = cfg.profiles.find((p) => p.groups.length > 0)!;
const GPU_GROUP = gpuProfile.groups[0];
const SHARE = cfg.nfs.groupShares[0];
const allowed = membersOf(directory.allowedGroups[0]);
/** In the admin group, the share's group, not in the GPU group. */
const TEACHER = membersOf(ADMIN_GROUP).find((u) => membersOf(SHARE).includes(u) && !membersOf(GPU_GROUP).includes(u))!;
/** In the GPU group and the share's group, not in the admin group. */
const STUDENT = membersOf(GPU_GROUP).find((u) => membersOf(SHARE).includes(u) && !membersOf(ADMIN_GROUP).includes(u))!;
/** An admin through hub.admins, in none of the three groups. */
const OTHER = cfg.hub.admins.find((u) => allowed.includes(u) && ![ADMIN_GROUP, GPU_GROUP, SHARE].some((g) => membersOf(g).includes(u)))!;

/** The users' browser sessions, from their latest login. */
const sessions: Record<string, Login> = {};

async function loginAs(user: string): Promise<Login> {
    const r = await bed.login(user, bed.passwords[user]);
    bed.assertLoggedIn(r, user);
    sessions[user] = r;
    return r;
}

async function user(name: string): Promise<{ admin: boolean; groups: string[] }> {
    const r = await bed.api(`/users/${name}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { admin: r.body.admin as boolean, groups: [...(r.body.groups as string[])].sort() };
}

/** The cns of the directory's groups that list the user as a member, as the directory answers. */
function directoryGroupsOf(uid: string): string[] {
    const out = bed.searchAs(uid, bed.tree.groupsDn, `(member=${bed.tree.userDn(uid)})`, "cn");
    return [...out.matchAll(/^cn: (.+)$/gm)].map((m) => m[1]).sort();
}

/** Replaces a group's members, as an operator would (groupOfNames needs one: an empty group holds the directory's admin DN). */
function setMembers(cn: string, uids: string[]): void {
    const members = uids.length > 0 ? uids.map((u) => bed.tree.userDn(u)) : [bed.tree.adminDn];
    bed.ldapModifyAsAdmin([`dn: ${bed.tree.groupDn(cn)}`, "changetype: modify", "replace: member", ...members.map((m) => `member: ${m}`), "-", ""].join("\n"));
}

/** The profile slugs KubeSpawner's options form offers the user (GET /hub/spawn in their session). */
async function offeredProfiles(name: string): Promise<string[]> {
    const page = await sessions[name].browser.get(`${bed.base()}/hub/spawn/${name}`);
    assert.equal(page.status, 200, `GET /hub/spawn/${name}: ${page.status} ${page.body.slice(0, 300)}`);
    return [...page.body.matchAll(/id="profile-item-([^"]+)"/g)].map((m) => m[1]);
}

interface Manifest {
    user: string;
    user_options: Json;
    pod: {
        spec: {
            volumes: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }>;
            containers: Array<{
                volumeMounts: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
                resources: { limits?: Record<string, string> };
            }>;
            tolerations?: Array<Record<string, string>>;
            securityContext?: Record<string, unknown>;
        };
    };
}

function spawnRecords(): string[] {
    const dir = bed.p("hub", "spawns");
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/**
 * Starts the user's server through the REST API with the user's own token, as a script of theirs
 * would. The spawner fails every spawn after recording the manifest: returns the recorded
 * manifest, or undefined with the hub's log when KubeSpawner refused before it.
 */
async function spawn(name: string, options: Json): Promise<{ status: number; body: Json; manifest?: Manifest; hubLog: string }> {
    const token = await bed.api(`/users/${name}/tokens`, { method: "POST", body: { note: "groups services test" } });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    const before = spawnRecords();
    const logFrom = bed.hubLogSize();
    const r = await bed.api(`/users/${name}/server`, { method: "POST", body: options, token: token.body.token as string });
    // The spawn ends (fails) in the background when it outlasts the request.
    const deadline = Date.now() + 20_000;
    let hubLog = bed.hubLogFrom(logFrom);
    while (!/recorded in spawns|No such profile|Unhandled error starting|Error starting/.test(hubLog) && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 200));
        hubLog = bed.hubLogFrom(logFrom);
    }
    const added = spawnRecords().filter((f) => !before.includes(f));
    assert.ok(added.length <= 1, added.join(", "));
    const manifest = added[0] ? (JSON.parse(fs.readFileSync(bed.p("hub", "spawns", added[0]), "utf8")) as Manifest) : undefined;
    assert.ok(!manifest || manifest.user === name);
    return { status: r.status, body: r.body, manifest, hubLog };
}

function mountsOf(m: Manifest) {
    return m.pod.spec.containers[0].volumeMounts;
}

describe(`directory groups with real OpenLDAP, JupyterHub and KubeSpawner, configured from Pulumi.${cfg.stack}.yaml`, () => {
    before(() => bed.setUp(), { timeout: 180_000 });
    after(() => bed.tearDown());

    bed.test("the in-cluster directory holds every configured group with its members", () => {
        for (const uid of [TEACHER, STUDENT, OTHER]) {
            const expected = directory.groups
                .filter((g) => g.members.includes(uid))
                .map((g) => g.cn)
                .sort();
            assert.deepEqual(directoryGroupsOf(uid), expected, uid);
        }
        assert.match(
            fs.readFileSync(bed.hub!.log, "utf8"),
            /Using Authenticator: .*DirectoryGroupsLDAPAuthenticator/,
            "the generated authenticator is the hub's",
        );
    });

    bed.test(
        `admin group: ${TEACHER} (in ${ADMIN_GROUP}) is an admin after login, ${STUDENT} (not in it) is not, ${OTHER} stays one through hub.admins`,
        async () => {
            for (const u of [TEACHER, STUDENT, OTHER]) await loginAs(u);
            assert.equal((await user(TEACHER)).admin, true);
            assert.equal((await user(STUDENT)).admin, false);
            assert.equal((await user(OTHER)).admin, true);
        },
    );

    bed.test("synced groups: each user's JupyterHub groups are exactly their directory groups", async () => {
        for (const u of [TEACHER, STUDENT, OTHER]) assert.deepEqual((await user(u)).groups, directoryGroupsOf(u), u);
        const gpu = await bed.api(`/groups/${GPU_GROUP}`);
        assert.equal(gpu.status, 200, JSON.stringify(gpu.body));
        assert.deepEqual(gpu.body.users, [STUDENT]);
    });

    bed.test(`admin group: removed from ${ADMIN_GROUP}, ${TEACHER} is no admin at the next login (nor in the group); added back, admin again`, async () => {
        setMembers(
            ADMIN_GROUP,
            membersOf(ADMIN_GROUP).filter((u) => u !== TEACHER),
        );
        assert.ok(!directoryGroupsOf(TEACHER).includes(ADMIN_GROUP));
        assert.equal((await user(TEACHER)).admin, true, "until the next login");
        await loginAs(TEACHER);
        const after = await user(TEACHER);
        assert.equal(after.admin, false, "admin is gone at the next login");
        assert.ok(!after.groups.includes(ADMIN_GROUP), after.groups.join(","));
        setMembers(ADMIN_GROUP, membersOf(ADMIN_GROUP));
        await loginAs(TEACHER);
        assert.equal((await user(TEACHER)).admin, true);
    });

    bed.test(`profile: ${STUDENT} (in ${GPU_GROUP}) is offered the ${gpuProfile.slug} profile, ${TEACHER} (not in it) only the others`, async () => {
        const all = cfg.profiles.map((p) => p.slug);
        assert.deepEqual(await offeredProfiles(STUDENT), all);
        assert.deepEqual(
            await offeredProfiles(TEACHER),
            all.filter((s) => s !== gpuProfile.slug),
        );
    });

    bed.test(`profile: ${STUDENT} starting the ${gpuProfile.slug} profile gets its GPU in the pod`, async () => {
        const r = await spawn(STUDENT, { profile: gpuProfile.slug });
        assert.ok(r.manifest, `no manifest recorded:\n${r.hubLog.slice(-3000)}`);
        assert.equal(r.manifest.pod.spec.containers[0].resources.limits?.[gpuProfile.gpuResource], String(gpuProfile.gpus));
        assert.ok(JSON.stringify(r.manifest.pod.spec.tolerations).includes(gpuProfile.gpuResource));
    });

    bed.test(`pod security: KubeSpawner's pod has z2jh's fsGroup, applied to the NFS volumes only while their root is not the group's`, async () => {
        const r = await spawn(STUDENT, {});
        assert.ok(r.manifest, `no manifest recorded:\n${r.hubLog.slice(-3000)}`);
        assert.deepEqual(r.manifest.pod.spec.securityContext, {
            fsGroup: 100,
            fsGroupChangePolicy: "OnRootMismatch",
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
        });
    });

    bed.test(
        `group share: ${SHARE} members' pods mount it read-write at ${GROUP_SHARES.mountRoot}/${SHARE}; ${OTHER}'s pod has neither the mount nor the volume`,
        async () => {
            for (const u of [TEACHER, STUDENT]) {
                const { manifest } = await spawn(u, {});
                assert.ok(manifest, u);
                const mount = mountsOf(manifest).find((m) => m.mountPath === `${GROUP_SHARES.mountRoot}/${SHARE}`);
                // No readOnly: read-write.
                assert.deepEqual(
                    mount,
                    { name: "group-shares", mountPath: `${GROUP_SHARES.mountRoot}/${SHARE}`, subPath: SHARE },
                    `${u}: ${JSON.stringify(mountsOf(manifest))}`,
                );
                assert.deepEqual(
                    manifest.pod.spec.volumes.find((v) => v.name === "group-shares"),
                    { name: "group-shares", persistentVolumeClaim: { claimName: GROUP_SHARES_CLAIM } },
                );
                assert.equal(manifest.pod.spec.containers[0].resources.limits?.[gpuProfile.gpuResource], undefined, `${u}: the default profile has no GPU`);
            }
            const { manifest } = await spawn(OTHER, {});
            assert.ok(manifest, OTHER);
            assert.ok(!JSON.stringify(manifest.pod.spec).includes("group-shares"), JSON.stringify(manifest.pod.spec.volumes));
            assert.ok(!mountsOf(manifest).some((m) => m.mountPath.startsWith(GROUP_SHARES.mountRoot)));
        },
    );

    bed.test("the shared volume is writable in admins' pods and read-only in users' (z2jh hands KubeSpawner the mounts as a dict)", async () => {
        const shared = async (u: string) => mountsOf((await spawn(u, {})).manifest!).find((m) => m.name === "shared")!;
        assert.equal((await shared(TEACHER)).readOnly, false);
        assert.equal((await shared(OTHER)).readOnly, false);
        assert.equal((await shared(STUDENT)).readOnly, true);
    });

    bed.test(
        `profile: with the hidden ${gpuProfile.slug} profile as the default, ${TEACHER}'s spawn without a profile gets the first offered one`,
        async () => {
            const profiles = (raw.profiles as Json[]).map((p) => ({ ...p, default: p.slug === gpuProfile.slug }));
            bed.values = bed.generatedValues(parseConfig({ ...raw, profiles }, "dev"));
            await bed.restartHub();
            const teacher = await spawn(TEACHER, {});
            assert.ok(teacher.manifest, `${TEACHER}'s spawn failed before the pod:\n${teacher.hubLog.slice(-3000)}`);
            assert.equal(teacher.manifest.pod.spec.containers[0].resources.limits?.[gpuProfile.gpuResource], undefined);
            const student = await spawn(STUDENT, {});
            assert.equal(
                student.manifest?.pod.spec.containers[0].resources.limits?.[gpuProfile.gpuResource],
                String(gpuProfile.gpus),
                "the default for a member",
            );
        },
    );
});

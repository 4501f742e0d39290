// Directory groups and what they decide: who may log in, who is an admin, which JupyterHub groups
// a user has, which profiles a user is offered and which group shares their pod mounts. Pure: the
// authenticator's group settings and the Python the hub runs (z2jh's hub.extraConfig).
//
// LDAPAuthenticator 2.0 reads a user's membership of exactly the groups in its allowed_groups,
// admits members of any of them, returns the ones found in auth_state["ldap_groups"], and sets
// neither admin nor JupyterHub groups. So allowed_groups lists every group the hub must know
// about, and a subclass admits the login groups only, derives admin from the admin groups and
// hands the groups to JupyterHub (Authenticator.manage_groups).

import { GROUP_SHARES, type GroupMemberAttribute, type LdapConfig, type ProfileConfig } from "../config";
import { ldapTree } from "./directory";

/** A directory group and its JupyterHub name. */
export interface DirectoryGroup {
    dn: string;
    name: string;
}

/** What the hub does with directory groups. */
export interface DirectoryGroups {
    /** Groups whose membership the authenticator reads at login (its allowed_groups), in config order. */
    searched: DirectoryGroup[];
    /** DNs whose members may log in (allowedGroups and adminGroups); empty: every directory user. */
    login: string[];
    /** DNs whose members are admins. */
    admin: string[];
    /** The user's groups among `searched` become their JupyterHub groups at each login. */
    sync: boolean;
}

/** The JupyterHub name of a group DN: the value of its first attribute (cn=gpu,ou=groups,... is "gpu"). */
export function groupNameOfDn(dn: string): string {
    const first = dn.split(",")[0];
    return first.slice(first.indexOf("=") + 1).trim();
}

function unique(groups: DirectoryGroup[]): DirectoryGroup[] {
    return groups.filter((g, i) => groups.findIndex((x) => x.dn.toLowerCase() === g.dn.toLowerCase()) === i);
}

/**
 * The groups the hub reads for a directory, or undefined without LDAP. In-cluster, syncing reads
 * every group the directory is bootstrapped with, so JupyterHub's groups are the directory's. An
 * external directory cannot be listed: the groups read are those the config names (allowedGroups,
 * adminGroups and, when syncing, the group names of profiles and group shares, looked up as
 * <groupNameAttribute>=<name>,ou=<groupsOu>,<baseDn>).
 */
export function directoryGroups(ldap: LdapConfig, profiles: ProfileConfig[], groupShares: string[]): DirectoryGroups | undefined {
    if (ldap.mode === "none") return undefined;
    let byConfig: (g: string) => DirectoryGroup;
    let byName: (name: string) => DirectoryGroup;
    let all: DirectoryGroup[];
    if (ldap.mode === "in-cluster") {
        const tree = ldapTree(ldap);
        byConfig = byName = (cn) => ({ dn: tree.groupDn(cn), name: cn });
        all = ldap.groups.map((g) => byName(g.cn));
    } else {
        byConfig = (dn) => ({ dn, name: groupNameOfDn(dn) });
        byName = (name) => ({ dn: `${ldap.groupNameAttribute}=${name},ou=${ldap.groupsOu},${ldap.baseDn}`, name });
        all = [...profiles.flatMap((p) => p.groups), ...groupShares].map(byName);
    }
    const allowed = ldap.allowedGroups.map(byConfig);
    const admin = ldap.adminGroups.map(byConfig);
    return {
        searched: unique([...allowed, ...admin, ...(ldap.syncGroups ? all : [])]),
        login: allowed.length > 0 ? unique([...allowed, ...admin]).map((g) => g.dn) : [],
        admin: admin.map((g) => g.dn),
        sync: ldap.syncGroups,
    };
}

/** Whether the groups need more than LDAPAuthenticator itself does (admit members of allowed_groups). */
export function needsGroupAuthenticator(g: DirectoryGroups): boolean {
    return g.admin.length > 0 || g.sync;
}

/** LDAPAuthenticator's group search for one member attribute; unset keeps its default (any of the three). */
export function groupSearchConfig(attribute: GroupMemberAttribute | undefined): Record<string, unknown> {
    if (attribute === undefined) return {};
    const value = attribute === "memberUid" ? "{uid}" : "{userdn}";
    return { group_search_filter: `(${attribute}=${value})`, group_attributes: [attribute] };
}

/** A Python expression for `data`: a JSON string (a valid Python literal) given to json.loads. */
function pyData(data: unknown): string {
    return `_json.loads(${JSON.stringify(JSON.stringify(data))})`;
}

/**
 * Python for hub.extraConfig: the LDAPAuthenticator subclass described at the top of this file,
 * made the hub's authenticator. Its config sections are LDAPAuthenticator's (traitlets applies a
 * class's sections to its subclasses). Admin from groups is decided at login: a user who left
 * every admin group (and is not in hub.admins) loses admin at the next login.
 */
export function directoryGroupsPy(g: DirectoryGroups): string {
    const data = { login: g.login, admin: g.admin, sync: g.sync, searched: g.searched };
    return `# Directory groups (components/groups.ts): LDAPAuthenticator.allowed_groups lists every group the
# hub reads; only the login groups admit, the admin groups make admins, and with sync the groups
# found become the user's JupyterHub groups.
import json as _json

from ldapauthenticator import LDAPAuthenticator as _LDAPAuthenticator

_DIRECTORY_GROUPS = ${pyData(data)}


def _found_in(auth_model, dns):
    found = set((auth_model.get("auth_state") or {}).get("ldap_groups") or [])
    return any(dn in found for dn in dns)


class DirectoryGroupsLDAPAuthenticator(_LDAPAuthenticator):
    async def check_allowed(self, username, auth_model):
        # Only called without allow_all, i.e. with login groups.
        return username in self.allowed_users or _found_in(auth_model, _DIRECTORY_GROUPS["login"])

    def is_admin(self, handler, authentication):
        if authentication["name"] in self.admin_users:
            return True
        if not _DIRECTORY_GROUPS["admin"]:
            return None
        # False, not None: JupyterHub then takes admin away from one who left the group.
        return _found_in(authentication, _DIRECTORY_GROUPS["admin"])

    async def authenticate(self, handler, data):
        auth_model = await super().authenticate(handler, data)
        if auth_model is not None and _DIRECTORY_GROUPS["sync"]:
            found = set(auth_model["auth_state"]["ldap_groups"])
            auth_model["groups"] = sorted({g["name"] for g in _DIRECTORY_GROUPS["searched"] if g["dn"] in found})
        return auth_model


c.JupyterHub.authenticator_class = DirectoryGroupsLDAPAuthenticator
`;
}

/** The claim holding every group share (one subPath per group), and the groups that have one. */
export interface GroupSharesMount {
    claimName: string;
    groups: string[];
}

export interface SpawnHooks {
    /** Admins get the volume named "shared" writable (it is mounted read-only for users). */
    sharedWritableForAdmins: boolean;
    /** The group shares, mounted in members' pods. */
    groupShares?: GroupSharesMount;
    /** Profile slug to the groups it is offered to; profiles not listed are offered to everybody. */
    profileGroups: Record<string, string[]>;
}

/** The spawn hooks for the profiles and the volumes users' pods mount: undefined when none is needed. */
export function spawnHooks(
    profiles: ProfileConfig[],
    volumes: { shared?: { readOnlyForUsers: boolean }; groupShares?: GroupSharesMount },
): SpawnHooks | undefined {
    const shares = volumes.groupShares;
    const hooks: SpawnHooks = {
        sharedWritableForAdmins: volumes.shared?.readOnlyForUsers ?? false,
        groupShares: shares && shares.groups.length > 0 ? shares : undefined,
        profileGroups: Object.fromEntries(profiles.filter((p) => p.groups.length > 0).map((p) => [p.slug, p.groups])),
    };
    if (!hooks.sharedWritableForAdmins && !hooks.groupShares && Object.keys(hooks.profileGroups).length === 0) return undefined;
    return hooks;
}

/**
 * Python for hub.extraConfig, run by the hub before KubeSpawner starts a server (pre_spawn_hook)
 * and when it lists a user's profiles (profile_list as a function of the spawner):
 *   - a profile with groups is offered to their members only, and makes the first one offered
 *     the default when the configured default is hidden. A start naming a profile the user is
 *     not offered (the REST API's `{"profile": slug}`) is refused with a 403 saying so, before
 *     KubeSpawner would fail it as an unhandled error ("No such profile", a 500);
 *   - members of a group with a share get the group-shares claim mounted at
 *     GROUP_SHARES.mountRoot/<group> (subPath <group>); others get neither volume nor mount;
 *   - admins get the "shared" volume writable.
 * The hook starts from the volumes the spawner had before its first start, so that what changed
 * since (admin taken away, a group left) counts at the next start. KubeSpawner takes volumes and
 * mounts as a list or, as z2jh sets them, as a dict whose values it uses sorted by key: the hook
 * makes lists in that order.
 */
export function spawnHooksPy(h: SpawnHooks): string {
    const data = { ...h, groupShares: h.groupShares ? { ...h.groupShares, mountRoot: GROUP_SHARES.mountRoot } : null };
    const [volumes, profiles] = [h.sharedWritableForAdmins || h.groupShares !== undefined, Object.keys(h.profileGroups).length > 0];
    // Top-level blocks, two blank lines apart as in PEP 8.
    const blocks = [
        [
            "# Spawn hooks (components/groups.ts): profiles offered by group, group shares in members' pods,",
            "# the shared volume writable for admins.",
            "import json as _json",
            "",
            `_SPAWN_HOOKS = ${pyData(data)}`,
        ],
        ["def _user_groups(spawner):", "    return {group.name for group in spawner.user.groups}"],
    ];
    const hook = ["def _platform_pre_spawn_hook(spawner):"];
    if (profiles) {
        blocks.push(
            ['_all_profiles = c.KubeSpawner.get("profile_list") or []'],
            [
                "def _offered_profiles(spawner):",
                "    groups = _user_groups(spawner)",
                '    limits = _SPAWN_HOOKS["profileGroups"]',
                '    return [p for p in _all_profiles if p["slug"] not in limits or groups & set(limits[p["slug"]])]',
            ],
            [
                "def _refuse_hidden_profile(spawner):",
                '    slug = (spawner.user_options or {}).get("profile")',
                "    slug = slug[0] if isinstance(slug, list) and slug else slug",
                '    limits = _SPAWN_HOOKS["profileGroups"]',
                "    if isinstance(slug, str) and slug in limits and not _user_groups(spawner) & set(limits[slug]):",
                "        from tornado.web import HTTPError",
                "",
                '        groups = ", ".join(limits[slug])',
                '        raise HTTPError(403, f"The profile {slug!r} is only for members of the groups {groups}, and {spawner.user.name} is in none of them")',
            ],
            ["c.KubeSpawner.profile_list = _offered_profiles"],
        );
        hook.push("    _refuse_hidden_profile(spawner)");
    }
    if (volumes) {
        blocks.push([
            "def _as_list(value):",
            "    if isinstance(value, dict):",
            "        return [value[key] for key in sorted(value)]",
            "    return list(value or [])",
        ]);
        hook.push(
            '    if not hasattr(spawner, "_configured_volumes"):',
            "        spawner._configured_volumes = (_as_list(spawner.volumes), _as_list(spawner.volume_mounts))",
            "    volumes, mounts = (list(v) for v in spawner._configured_volumes)",
            '    if _SPAWN_HOOKS["sharedWritableForAdmins"] and spawner.user.admin:',
            '        mounts = [dict(m, readOnly=False) if m.get("name") == "shared" else m for m in mounts]',
            '    shares = _SPAWN_HOOKS["groupShares"]',
            "    if shares:",
            '        mine = [g for g in shares["groups"] if g in _user_groups(spawner)]',
            "        if mine:",
            '            volumes.append({"name": "group-shares", "persistentVolumeClaim": {"claimName": shares["claimName"]}})',
            '            mounts += [{"name": "group-shares", "mountPath": f"{shares[\'mountRoot\']}/{g}", "subPath": g} for g in mine]',
            "    spawner.volumes = volumes",
            "    spawner.volume_mounts = mounts",
        );
    }
    blocks.push(hook, ["c.KubeSpawner.pre_spawn_hook = _platform_pre_spawn_hook"]);
    return blocks.map((b) => b.join("\n")).join("\n\n\n") + "\n";
}

// Upgrade from the last release, through the real engine: a stack deployed by the newest release
// of CHANGELOG.md (a worktree of its commit, its own packages; the release before it when the
// working tree's program is that release's), with the dev stack's config, the NFS server's disk
// bound and a user's home as KubeSpawner makes it, is upgraded by `pulumi up` of this working tree
// on the same state. The preview's changes are each one a "Changes:" line of CHANGELOG.md names;
// no PersistentVolume is replaced or deleted, no claim either but one CHANGELOG names (bound again
// to the same volume); the update converges; the next preview is empty.
//
// Then the leftovers of an earlier life of the stack: after a retaining `pulumi destroy`, its
// namespaces deleted by hand, `pulumi up` stops before anything is created, one line per volume
// that names what is gone, and goes on once the operator has done what the line says.
//
// Run by .ci/e2e.sh on the engine suites' private control plane (kwok: pods never run, so
// skipAwait; no file is written into a volume here, the claims' and volumes' identities stand in).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { DATA_KEY_SECRET } from "../../components/data-key";
import { COOKIE_SECRET_KEY, HUB_SECRET, PROXY_TOKEN_KEY } from "../../components/hub";
import { EngineProject, waitFor } from "../support/engine-project";
import { ROOT, run } from "../support/helpers";
import { changedSteps, objectOf, type PreviewStep } from "../support/preview";
import { plainTextLeaks } from "../support/plain-text";
import { matchesName, namedChanges, releaseWorktree, removeWorktree, upgradeFrom } from "../support/releases";
import { secretData } from "../support/proxy-token";

const NS = "jhub-upgrade";
const STORAGE_NS = `${NS}-storage`;
const STACK = "upgrade";
const HOME_CLASS = "jupyterhub-home-upgrade";
/** The volume a default StorageClass's provisioner would have given the server's claim. */
const DISK = "jhub-upgrade-nfs-disk";
const USER = "upgrader";

const from = upgradeFrom();
let releaseDir = "";
let project: EngineProject;

const kubectl = (args: string[], input?: string) => project.kubectl(args, input);
const jsonpath = (kind: string, name: string, expr: string, ns?: string) => kubectl(["get", kind, name, ...(ns ? ["-n", ns] : []), "-o", `jsonpath=${expr}`]);

/** Every PersistentVolume and claim of the stack's namespaces, with its UID and binding. */
function dataObjects(): Map<string, { uid: string; bound: string }> {
    const out = new Map<string, { uid: string; bound: string }>();
    type Item = {
        kind: string;
        metadata: { name: string; namespace?: string; uid: string };
        spec: { volumeName?: string; claimRef?: { namespace: string; name: string } };
    };
    const items = (JSON.parse(kubectl(["get", "pv,pvc", "--all-namespaces", "-o", "json"])) as { items: Item[] }).items;
    for (const o of items) {
        if (o.kind === "PersistentVolumeClaim" && ![NS, STORAGE_NS].includes(o.metadata.namespace!)) continue;
        if (o.kind === "PersistentVolume" && ![NS, STORAGE_NS].includes(o.spec.claimRef?.namespace ?? "")) continue;
        const bound = o.kind === "PersistentVolume" ? `${o.spec.claimRef!.namespace}/${o.spec.claimRef!.name}` : (o.spec.volumeName ?? "");
        out.set(`${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`, { uid: o.metadata.uid, bound });
    }
    return out;
}

/** The namespace the stack's NFS server Service is in: the hub's for 0.1.0, the storage one after. */
const serverNamespace = () => (project.exists("service", "nfs-server", STORAGE_NS) ? STORAGE_NS : NS);

before(() => {
    assert.ok(from, "CHANGELOG.md names a release whose program is not the working tree's");
    releaseDir = releaseWorktree(from);
    project = new EngineProject(STACK, releaseDir);
    console.log(`upgrade: ${project.describe()}, from release ${from.version} (commit ${from.commit})`);
    project.initStack(STACK, {
        "jupyterhub:namespace": NS,
        "jupyterhub:nfs": { ...(project.devConfig()["jupyterhub:nfs"] as object), homeStorageClass: HOME_CLASS },
    });
});

after(() => {
    project?.printTimings("upgrade");
    try {
        project?.pulumi(["destroy", "--yes", "--skip-preview"], { label: "cleanup destroy" });
    } catch (e) {
        console.error(String(e));
    }
    for (const ns of [NS, STORAGE_NS]) run("kubectl", ["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
    run("kubectl", ["delete", "pv", DISK, `pvc-${USER}`, `${NS}-shared`, `${NS}-group-shares`, "--ignore-not-found", "--wait=false"]);
    project?.remove();
    if (releaseDir) removeWorktree(releaseDir);
});

/**
 * What the stack's users and hub open the kept data with (every directory user's password and the
 * CryptKeeper key), what logins are signed with (the cookie secret) and the proxy's token.
 */
function credentials(): { passwords: string; cryptKeeper: string; cookie: string; token: string } {
    const hub = secretData(project, NS, HUB_SECRET);
    return {
        passwords: project.pulumi(["stack", "output", "ldapUserPasswords", "--show-secrets", "--json"]),
        cryptKeeper: hub["hub.config.CryptKeeper.keys"],
        cookie: hub[COOKIE_SECRET_KEY],
        token: hub[PROXY_TOKEN_KEY],
    };
}

describe(`real engine: a stack of release ${from?.version} upgraded to the working tree`, () => {
    let before0 = new Map<string, { uid: string; bound: string }>();
    let changed: PreviewStep[] = [];
    let credentials0 = { passwords: "", cryptKeeper: "", cookie: "", token: "" };

    it(`1. release ${from?.version} deploys the dev stack; the NFS server's disk bound, a user's home on its address`, () => {
        project.pulumi(["up", "--yes", "--skip-preview"], { label: `up (${from!.version})` });
        const serverNs = serverNamespace();
        project.provisionServerDisk(DISK, serverNs, jsonpath("pvc", "nfs-server-data", "{.spec.storageClassName}", serverNs));
        project.makeHome(NS, USER, serverNs, HOME_CLASS);
        waitFor(() => jsonpath("pvc", "jupyterhub-shared", "{.status.phase}", NS) === "Bound", "the shared claim bound");
        before0 = dataObjects();
        credentials0 = credentials();
        console.log(`upgrade: before, ${[...before0.keys()].join(", ")}`);
    });

    it("2. the working tree's preview changes only what CHANGELOG.md names, and replaces no volume nor any claim it does not name", () => {
        project.useProgram(ROOT);
        const t0 = Date.now();
        changed = changedSteps(project.pulumi(["preview", "--json"], { label: "upgrade preview" }));
        console.log(
            `upgrade: the preview from ${from!.version} (${((Date.now() - t0) / 1000).toFixed(1)} s), ${changed.length} steps:\n  ${changed.map((s) => `${s.op} ${objectOf(s).join(" ")}`).join("\n  ")}`,
        );
        const named = namedChanges(from!);
        const unnamed = changed.filter((s) => {
            const [kind, name] = objectOf(s);
            return !named.some((n) => n.kind === kind && matchesName(n.name, name));
        });
        assert.deepEqual(
            unnamed.map((s) => `${s.op} ${objectOf(s).join(" ")}`),
            [],
            `every change is named by a "Changes:" line of CHANGELOG.md above ${from!.version}`,
        );
        const gone = (s: PreviewStep) => ["replace", "create-replacement", "delete-replaced", "delete"].includes(s.op);
        const volumes = changed.filter((s) => gone(s) && objectOf(s)[0] === "PersistentVolume");
        assert.deepEqual(volumes.map(objectOf), [], "no PersistentVolume replaced or deleted");
        const claims = changed.filter((s) => gone(s) && objectOf(s)[0] === "PersistentVolumeClaim");
        for (const c of claims)
            assert.ok(
                named.some((n) => n.kind === "PersistentVolumeClaim" && n.name === objectOf(c)[1]),
                `claim ${objectOf(c)[1]} replaced, and CHANGELOG.md does not say so`,
            );
    });

    it("3. up converges: every volume the same (UID) and bound, every claim the same or bound again to its volume; the next preview is empty", () => {
        project.pulumi(["up", "--yes", "--skip-preview"], { label: "upgrade up" });
        const after0 = dataObjects();
        for (const [key, was] of before0) {
            if (key.startsWith("PersistentVolume/")) {
                assert.equal(after0.get(key)?.uid, was.uid, `${key} is the same volume`);
                continue;
            }
            const now = after0.get(key);
            if (now?.uid === was.uid) continue;
            // A claim the release moves (CHANGELOG.md names it): the same volume, bound to its new claim.
            const name = key.split("/").pop()!;
            const moved = [...after0].find(([k, v]) => k !== key && k.endsWith(`/${name}`) && v.bound === was.bound);
            assert.ok(moved, `${key} is gone and no claim of its name is bound to its volume ${was.bound}`);
            waitFor(() => jsonpath("pv", was.bound, "{.status.phase}") === "Bound", `${was.bound} bound again`);
        }
        assert.equal(jsonpath("pvc", `claim-${USER}`, "{.status.phase}", NS), "Bound", "the user's home still bound");
        // The stack's keys (0.2.0: generated, no data key) stay, and are kept with the data from now on (issue 31).
        const now = credentials();
        assert.equal(now.passwords, credentials0.passwords, "every directory user's password the same");
        assert.equal(now.cryptKeeper, credentials0.cryptKeeper, "the CryptKeeper key the same");
        assert.equal(Buffer.from(secretData(project, NS, DATA_KEY_SECRET)["crypt-keeper"], "base64").toString("hex"), now.cryptKeeper, "kept in data-key");
        // Nobody logged out, the proxy keeps its token; the state holds them from now on only encrypted.
        assert.deepEqual(
            { cookie: now.cookie, token: now.token },
            { cookie: credentials0.cookie, token: credentials0.token },
            "the cookie secret and the token the same",
        );
        assert.deepEqual(plainTextLeaks(project.pulumi(["stack", "export"]), { cookie: now.cookie, token: now.token }), [], "not in the state in plain text");
        project.pulumi(["preview", "--expect-no-changes"], { label: "preview after the upgrade" });
    });

    it("3b. the rotation that retires 0.2.0's values (docs/operations.md): up --replace of both makes new ones, the rest stays; then nothing", () => {
        const urns = project
            .resources()
            .filter((r) => /HubSecrets\$pulumi-nodejs:dynamic:Resource::hub-secrets-(cookie|proxy-token)$/.test(r.urn))
            .map((r) => r.urn);
        assert.equal(urns.length, 2, "the cookie secret's and the token's resources");
        const replace = urns.flatMap((u) => ["--replace", u]);
        const steps = changedSteps(project.pulumi(["preview", "--json", ...replace], { label: "rotation preview" }));
        console.log(`upgrade: the rotation's preview: ${steps.map((s) => `${s.op} ${objectOf(s).join(" ")}`).join(", ")}`);
        // As docs/operations.md's table says of each: its resource replaced, hub-secrets updated, and for the token the two Deployments.
        assert.deepEqual([...new Set(steps.map((s) => objectOf(s).join(" ")))].sort(), [
            "Deployment hub",
            "Deployment proxy",
            "Resource hub-secrets-cookie",
            "Resource hub-secrets-proxy-token",
            `Secret ${HUB_SECRET}`,
        ]);
        project.pulumi(["up", "--yes", "--skip-preview", ...replace], { label: "rotation up" });
        const now = credentials();
        assert.notEqual(now.cookie, credentials0.cookie);
        assert.notEqual(now.token, credentials0.token);
        assert.deepEqual(
            { passwords: now.passwords, cryptKeeper: now.cryptKeeper },
            { passwords: credentials0.passwords, cryptKeeper: credentials0.cryptKeeper },
        );
        project.pulumi(["preview", "--expect-no-changes"], { label: "preview after the rotation" });
    });
});

describe("leftovers of an earlier life of the stack stop `pulumi up` before anything is created", () => {
    /** Destroys the stack (data kept), deletes the namespaces by hand and waits until they are gone. */
    function destroyAndDelete(namespaces: string[]): void {
        project.pulumi(["destroy", "--yes", "--skip-preview"], { label: "destroy (retain)" });
        for (const ns of namespaces) kubectl(["delete", "namespace", ns, "--wait=true", "--timeout=180s"]);
        for (const ns of namespaces) waitFor(() => !project.exists("namespace", ns), `namespace ${ns} gone`, 180);
    }

    /** `pulumi up` is refused; nothing of the stack is in the state or the cluster after it. */
    function refused(label: string): string {
        const out = project.pulumiFails(["up", "--yes", "--skip-preview"], { label });
        assert.deepEqual(
            project.resources().filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm")),
            [],
            "no object was created",
        );
        assert.equal(project.exists("namespace", NS), false, `namespace ${NS} not created`);
        return out;
    }

    it("4. the hub's namespace deleted by hand: the shared volume, Released, is named with the command that binds it again; after it, up binds it to the same volume", () => {
        const shared = `${NS}-shared`;
        const uid = jsonpath("pv", shared, "{.metadata.uid}");
        destroyAndDelete([NS]);
        waitFor(() => jsonpath("pv", shared, "{.status.phase}") === "Released", `${shared} Released`);
        const out = refused("up refused (Released)");
        const lines = out.split("\n").filter((l) => / is Released: /.test(l));
        assert.deepEqual(lines.map((l) => /PersistentVolume "([^"]+)"/.exec(l)![1]).sort(), [shared, `${NS}-group-shares`].sort(), out);
        console.log(`upgrade: the refusal:\n  ${lines.map((l) => l.trim()).join("\n  ")}`);
        for (const line of lines) {
            const fix = /kubectl patch pv (\S+) --type json -p '([^']+)'/.exec(line);
            assert.ok(fix, line);
            kubectl(["patch", "pv", fix[1], "--type", "json", "-p", fix[2]]);
        }
        project.pulumi(["up", "--yes", "--skip-preview"], { label: "up after the re-bind" });
        waitFor(() => jsonpath("pvc", "jupyterhub-shared", "{.status.phase}", NS) === "Bound", "the shared claim bound again");
        assert.equal(jsonpath("pv", shared, "{.metadata.uid}"), uid, "the same volume");
        project.pulumi(["preview", "--expect-no-changes"], { label: "preview after the re-bind" });
    });

    it("5. both namespaces deleted by hand: every volume that names the old server's address is named, one line each; once they are saved and deleted, up deploys", () => {
        const address = jsonpath("service", "nfs-server", "{.spec.clusterIP}", STORAGE_NS);
        destroyAndDelete([NS, STORAGE_NS]);
        const out = refused("up refused (stale address)");
        const lines = out.split("\n").filter((l) => l.includes(`names NFS server ${address}, which this stack no longer serves`));
        const volumes = lines.map((l) => /PersistentVolume "([^"]+)"/.exec(l)![1]).sort();
        assert.deepEqual(volumes, [`${NS}-shared`, `${NS}-group-shares`, `pvc-${USER}`].sort(), out);
        console.log(`upgrade: the refusal:\n  ${lines.map((l) => l.trim()).join("\n  ")}`);
        assert.match(out, /docs\/operations\.md, "Volumes from an earlier life"/);
        kubectl(["delete", "pv", ...volumes, "--wait=true", "--timeout=120s"]);
        project.pulumi(["up", "--yes", "--skip-preview"], { label: "up after the leftovers are deleted" });
        project.pulumi(["preview", "--expect-no-changes"], { label: "preview after the new life" });
    });
});

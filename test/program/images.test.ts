// Every pod the program defines, and the chart values it gives the hub's and users' pods, checked
// against the image contracts of test/support/image-contracts.ts (read in each image's source at
// its pinned tag; docs/images.md). The dev stack (in-cluster NFS, MySQL), the prod stack (external
// ones: the driver, the dump of an external database, docker-stacks images) and the seed (sudo).
// The directory image (symas/openldap) is the lead's and not checked here.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";

import * as YAML from "yaml";

import { chartDataDir, get, helmMerge } from "../support/helpers";
import {
    containerOf,
    csiControllerProblems,
    csiNodeProblems,
    csiRbacProblems,
    hubVolumeProblems,
    mysqlClientProblems,
    mysqlServerProblems,
    nfsServerProblems,
    podSpec,
    runWithImageTools,
    singleuserProblems,
} from "../support/image-checks";
import { CHART_SINGLEUSER_DEFAULTS, HUB, MYSQL } from "../support/image-contracts";
import { ProgramRun, reveal, runProgram } from "../support/program";
import { SEED_REGISTRY_PASSWORD, seedOverrides } from "../support/seed";

type Obj = Record<string, unknown>;
const chartDefaults = YAML.parse(fs.readFileSync(path.join(chartDataDir(), "values.yaml"), "utf8")) as Obj;

let dev: ProgramRun;
let prod: ProgramRun;
let seed: ProgramRun;
before(async () => {
    dev = await runProgram("dev");
    prod = await runProgram("prod", {}, { mysqlPassword: "Ext3rnal-MySQL-pw", ldapBindPassword: "Search-User-pw-123" });
    seed = await runProgram("dev", seedOverrides(), { registryPassword: SEED_REGISTRY_PASSWORD });
});

const pod = (run: ProgramRun, name: string, kind: string) => podSpec(reveal(run.byName(name, kind).inputs) as Obj);
/** The chart values as Helm sees them: the program's merged over the chart's defaults. */
const chartValues = (run: ProgramRun) => helmMerge(chartDefaults, get(reveal(run.byName("jupyterhub").inputs), "values")) as Obj;

/** The rules of every ClusterRole bound to the csi-driver-nfs controller's service account. */
function controllerRules(run: ProgramRun) {
    const bindings = run.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").map((b) => reveal(b.inputs) as Obj);
    const roles = run.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").map((r) => reveal(r.inputs) as Obj);
    const bound = bindings.filter((b) => (b.subjects as Obj[]).some((s) => s.name === "csi-nfs-controller-sa")).map((b) => String(get(b, "roleRef.name")));
    return roles
        .filter((r) => bound.includes(String(get(r, "metadata.name"))))
        .flatMap((r) => r.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>);
}

describe("images: MySQL (mysql:8.4.7) runs as its entrypoint expects", () => {
    it("the server: uid 999:999, the data directory on the claim, socket and tmp writable, the entrypoint's variables and init files", () => {
        assert.deepEqual(mysqlServerProblems(pod(dev, "mysql", "StatefulSet")), []);
    });

    it("the probes' shell command calls only programs of the image", () => {
        const c = containerOf(pod(dev, "mysql", "StatefulSet"), "mysql");
        for (const probe of ["readinessProbe", "livenessProbe"]) {
            const [shell, flag, script] = get(c, `${probe}.exec.command`) as string[];
            assert.equal(flag, "-c");
            const r = runWithImageTools(shell, script, { binaries: MYSQL.binaries, stubs: { mysqladmin: "exit 0" } });
            assert.deepEqual(r.missing, [], r.stderr);
        }
    });

    for (const [stack, get_] of [
        ["dev", () => dev],
        ["prod (external server, the image's client)", () => prod],
    ] as const) {
        it(`${stack}: the database dumps run sh from the mysql image and write only their volumes`, () => {
            const run = get_();
            for (const [name, kind] of [
                ["backup-hub-db", "CronJob"],
                ["backup-before-upgrade", "Job"],
            ]) {
                const p = pod(run, name, kind);
                const c = containerOf(p, "dump");
                const root = String((c.env as Obj[]).find((e) => e.name === "BACKUP_ROOT")?.value);
                assert.deepEqual(mysqlClientProblems(p, "dump", [root, "/tmp"]), [], `${kind}/${name}`);
                assert.equal(get(c, "securityContext.readOnlyRootFilesystem"), true);
            }
        });
    }
});

describe("images: the NFS server (volume/nfs:1.4) is started as run_nfs.sh reads its arguments", () => {
    it("exports the claim alone, with no -G; privileged root with a writable root filesystem; the init container's shell is the image's", () => {
        assert.deepEqual(nfsServerProblems(pod(dev, "nfs-server", "Deployment")), []);
    });

    it("the Service carries the ports the server listens on", () => {
        const svc = reveal(dev.byName("nfs-server", "Service").inputs) as Obj;
        const ports = (get(svc, "spec.ports") as Obj[]).map((p) => p.port);
        assert.deepEqual(
            [...ports].sort((a, b) => Number(a) - Number(b)),
            [111, 2049, 20048],
        );
    });
});

describe("images: csi-driver-nfs v4.12.1 as upstream deploys it", () => {
    for (const [stack, get_] of [
        ["dev", () => dev],
        ["prod", () => prod],
    ] as const) {
        it(`${stack}: the controller has upstream's containers at upstream's pins, csi-resizer for the expandable home class`, () => {
            const run = get_();
            const sc = reveal(run.byName("nfs-home").inputs) as Obj;
            assert.equal(sc.allowVolumeExpansion, true);
            assert.deepEqual(csiControllerProblems(pod(run, "nfs-csi-controller", "Deployment"), { expansion: sc.allowVolumeExpansion === true }), []);
        });

        it(`${stack}: the node plugin has upstream's containers, and registers its socket where it is`, () => {
            assert.deepEqual(csiNodeProblems(pod(get_(), "nfs-csi-node", "DaemonSet")), []);
        });

        it(`${stack}: the controller's service account has upstream's provisioner and resizer rules, and nothing more`, () => {
            assert.deepEqual(csiRbacProblems(controllerRules(get_()), { resizer: true }), []);
        });
    }
});

describe("images: the hub and users' servers (chart 4.4.0) get what their images need", () => {
    it("the hub keeps the chart's image and user; its extra volume is a read-only ConfigMap it can read", () => {
        const values = chartValues(dev);
        assert.equal(`${String(get(values, "hub.image.name"))}:${String(get(values, "hub.image.tag"))}`, HUB.image);
        assert.equal(get(values, "hub.containerSecurityContext.runAsUser"), HUB.user.uid);
        assert.equal(get(values, "hub.containerSecurityContext.runAsGroup"), HUB.user.gid);
        assert.ok((get(values, "hub.extraVolumes") as unknown[]).length > 0);
        assert.deepEqual(hubVolumeProblems(get(values, "hub") as Obj), []);
    });

    const userImages = (values: Obj) => [
        `${String(get(values, "singleuser.image.name"))}:${String(get(values, "singleuser.image.tag"))}`,
        ...((get(values, "singleuser.profileList") as Obj[] | undefined) ?? []).flatMap((p) => {
            const image = get(p, "kubespawner_override.image");
            return typeof image === "string" ? [image] : [];
        }),
    ];

    it("dev: the chart's sample image runs as its user (uid 1000) with its home, the home volume given a group", () => {
        const values = chartValues(dev);
        assert.equal(get(values, "singleuser.uid"), CHART_SINGLEUSER_DEFAULTS.uid);
        assert.deepEqual(singleuserProblems(get(values, "singleuser") as Obj, userImages(values)), { problems: [], unknown: [] });
    });

    it("prod: docker-stacks images (and the GPU profile's) run as jovyan 1000:100 with the home at /home/jovyan", () => {
        const values = chartValues(prod);
        const images = userImages(values);
        assert.equal(images.length, 2, images.join(", "));
        assert.deepEqual(singleuserProblems(get(values, "singleuser") as Obj, images), { problems: [], unknown: [] });
    });

    it("the seed (grantSudo): a root start as docker-stacks' start.sh needs it; its private image could not be read", () => {
        const values = chartValues(seed);
        const result = singleuserProblems(get(values, "singleuser") as Obj, userImages(values));
        assert.deepEqual(result.problems, []);
        // The seed's image is private (mydocker.registry.com): what it holds is not established (docs/images.md).
        assert.deepEqual(result.unknown, userImages(values));
    });
});

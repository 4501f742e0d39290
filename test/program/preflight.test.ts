// The preflight check's values as the program passes them: what the stack needs of the cluster
// (components/cluster-needs.ts) names exactly the claims the program makes whose class comes from
// the config, with the class each claim names.
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { preflightValues } from "../../components/cluster";
import { clusterArgs, clusterNeeds } from "../../components/cluster-needs";
import { parseConfig } from "../../config";
import { rawStackConfig } from "../support/helpers";
import { ProgramRun, reveal, runProgram } from "../support/program";

/** The program's claims that hold data: not the homes' (the hub makes them) nor the static ones (class ""), nor on the program's own home class. */
function dataClaimsOf(run: ProgramRun, homeClass: string) {
    return run
        .ofType("kubernetes:core/v1:PersistentVolumeClaim")
        .map((r) => reveal(r.inputs) as { metadata: { name: string; namespace: string }; spec: { storageClassName?: string } })
        .filter((c) => c.spec.storageClassName !== "" && c.spec.storageClassName !== homeClass)
        .map((c) => ({ namespace: c.metadata.namespace, name: c.metadata.name, storageClass: c.spec.storageClassName ?? "" }))
        .sort((a, b) => a.name.localeCompare(b.name));
}

const preflightNeeds = (run: ProgramRun) => (reveal(run.byName("cluster-preflight").inputs) as { values: { needs: unknown } }).values.needs;

describe("program: the preflight check reads what the stack needs of the cluster", () => {
    let dev: ProgramRun;
    let named: ProgramRun;
    const classes = {
        "jupyterhub:mysql": { mode: "in-cluster", storageClass: "db-ssd" },
        "jupyterhub:ldap": { ...(rawStackConfig("dev").ldap as object), storageClass: "ldap-ssd" },
    };
    before(async () => {
        dev = await runProgram("dev");
        named = await runProgram("dev", classes);
    });

    it("the values are preflightValues(clusterArgs(config)) (which the apiserver tier renders without a program run)", () => {
        for (const [run, raw] of [
            [dev, rawStackConfig("dev")],
            [named, { ...rawStackConfig("dev"), ...Object.fromEntries(Object.entries(classes).map(([k, v]) => [k.replace("jupyterhub:", ""), v])) }],
        ] as const) {
            const values = reveal(run.byName("cluster-preflight").inputs) as { values: { owner: string } };
            assert.match(values.values.owner, /^[^/]+\/jupyterhub\/dev$/);
            assert.deepEqual(values.values, JSON.parse(JSON.stringify(preflightValues(clusterArgs(parseConfig(raw, "dev")), values.values.owner))));
        }
        assert.deepEqual(preflightNeeds(dev), JSON.parse(JSON.stringify(clusterNeeds(parseConfig(rawStackConfig("dev"), "dev")))));
    });

    for (const [title, run, stack] of [
        ["dev", () => dev, () => rawStackConfig("dev")],
        [
            "dev with classes named",
            () => named,
            () => ({ ...rawStackConfig("dev"), ...Object.fromEntries(Object.entries(classes).map(([k, v]) => [k.replace("jupyterhub:", ""), v])) }),
        ],
    ] as const) {
        it(`${title}: its claims are the program's data claims, each with the class it names`, () => {
            const needs = clusterNeeds(parseConfig(stack(), "dev"));
            const claims = needs.claims.map((c) => ({ namespace: c.namespace, name: c.name, storageClass: c.storageClass }));
            assert.deepEqual(
                claims.sort((a, b) => a.name.localeCompare(b.name)),
                dataClaimsOf(run(), "jupyterhub-home"),
            );
        });
    }
});

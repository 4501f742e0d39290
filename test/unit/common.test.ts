import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import type * as pulumi from "@pulumi/pulumi";

import { dependsOnList, labels, restrictedPod, skipAwaitTransform } from "../../components/common";
import { PRIVILEGED_REASON } from "../../lib/pods";

function transform(type: string, props: Record<string, unknown>) {
    const args = { type, name: "x", props, opts: {}, custom: true } as unknown as pulumi.ResourceTransformArgs;
    return skipAwaitTransform(args) as { props: Record<string, unknown> } | undefined;
}

describe("common: shared pieces of the components", () => {
    it("skipAwait adds the annotation to Kubernetes objects and keeps theirs", () => {
        const out = transform("kubernetes:apps/v1:Deployment", { metadata: { name: "hub", annotations: { a: "b" } }, spec: {} });
        assert.deepEqual(out?.props.metadata, { name: "hub", annotations: { a: "b", "pulumi.com/skipAwait": "true" } });
        assert.deepEqual(out?.props.spec, {});
        assert.deepEqual(transform("kubernetes:core/v1:Secret", {})?.props.metadata, { annotations: { "pulumi.com/skipAwait": "true" } });
    });

    it("skipAwait deletes a Job in the background, so a replacement of the same name never finds it", () => {
        const out = transform("kubernetes:batch/v1:Job", { metadata: { name: "openldap-sync-0", annotations: { k: "v" } } });
        assert.deepEqual(out?.props.metadata, {
            name: "openldap-sync-0",
            annotations: { k: "v", "pulumi.com/deletionPropagationPolicy": "background", "pulumi.com/skipAwait": "true" },
        });
        const cron = transform("kubernetes:batch/v1:CronJob", { metadata: {} })?.props.metadata as { annotations: Record<string, string> };
        assert.equal(cron.annotations["pulumi.com/deletionPropagationPolicy"], undefined, "only Jobs");
    });

    it("skipAwait leaves other providers' resources and the Helm chart alone (the Chart has its own skipAwait input)", () => {
        assert.equal(transform("random:index/randomPassword:RandomPassword", { length: 32 }), undefined);
        assert.equal(transform("kubernetes:helm.sh/v4:Chart", { chart: "x" }), undefined);
    });

    it("dependsOn as a list: none, one resource, or a copy of the list", () => {
        const [a, b] = [{ name: "a" }, { name: "b" }] as unknown as pulumi.Resource[];
        assert.deepEqual(dependsOnList(undefined), []);
        assert.deepEqual(dependsOnList({}), []);
        assert.deepEqual(dependsOnList({ dependsOn: a }), [a]);
        const list = [a, b];
        const got = dependsOnList({ dependsOn: list });
        assert.deepEqual(got, [a, b]);
        got.push(a);
        assert.equal(list.length, 2, "the caller's list is not changed");
    });

    it("labels and the restricted pod profile", () => {
        assert.equal(labels("mysql")["app.kubernetes.io/name"], "mysql");
        assert.deepEqual(restrictedPod(999), { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } });
        assert.match(PRIVILEGED_REASON, /^[a-z0-9.]+\/[a-z-]+$/);
    });
});

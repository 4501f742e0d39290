// The sample user image's stand-in (images/singleuser-sample, quay.io/jupyterhub/k8s-singleuser-sample:4.4.0)
// against what KubeSpawner, the chart and the program rely on (test/support/image-contracts.ts
// SINGLEUSER_SAMPLE, CHART_SINGLEUSER_DEFAULTS, IMAGE_PULLER_NEEDS; docs/images.md).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { it } from "node:test";

import { CHART_SINGLEUSER_DEFAULTS, IMAGE_PULLER_NEEDS, SINGLEUSER_SAMPLE } from "../support/image-contracts";
import { describeImage, imageUser, inRootfs, type OpenedImage, passwd, runInImage, which } from "../support/image-archive";

// KubeSpawner sets runAsUser (the chart's uid) and no runAsGroup: the primary group is the image's.
const podUser = (img: OpenedImage) => `${CHART_SINGLEUSER_DEFAULTS.uid}:${passwd(img)[SINGLEUSER_SAMPLE.user.name].gid}`;

describeImage("singleuser-sample", (img) => {
    it("is written under the reference singleuser.image names by default", () => {
        assert.equal(img().ref, SINGLEUSER_SAMPLE.image);
    });

    it(`runs as ${SINGLEUSER_SAMPLE.user.name}, uid ${SINGLEUSER_SAMPLE.user.uid} (the chart's singleuser.uid), home ${SINGLEUSER_SAMPLE.home}`, () => {
        assert.equal(img().config.User, SINGLEUSER_SAMPLE.user.name);
        const me = passwd(img())[SINGLEUSER_SAMPLE.user.name];
        assert.equal(me?.uid, SINGLEUSER_SAMPLE.user.uid);
        assert.equal(me?.uid, CHART_SINGLEUSER_DEFAULTS.uid);
        assert.equal(me?.home, SINGLEUSER_SAMPLE.home);
        assert.equal(imageUser(img()), `${SINGLEUSER_SAMPLE.user.uid}:${me?.gid}`);
        assert.equal(img().env.HOME, SINGLEUSER_SAMPLE.home);
        assert.equal(img().config.WorkingDir, SINGLEUSER_SAMPLE.home);
    });

    it("has tini -- as its entrypoint, so KubeSpawner's args (jupyterhub-singleuser) run under it", () => {
        assert.deepEqual(img().config.Entrypoint, SINGLEUSER_SAMPLE.entrypoint);
        assert.ok(which(img(), "tini"));
        assert.ok(which(img(), "jupyterhub-singleuser"), "jupyterhub-singleuser is not on the image's PATH");
    });

    it("has no root start: no start.sh, no sudo (grantSudo is refused with this image)", () => {
        assert.equal(SINGLEUSER_SAMPLE.rootStart, false);
        assert.equal(which(img(), "start.sh"), undefined);
        assert.equal(which(img(), "sudo"), undefined);
    });

    it(`runs the image puller's ${IMAGE_PULLER_NEEDS} -c as 65534, and a postStart sh -c as the pod's user`, () => {
        assert.ok(fs.existsSync(inRootfs(img(), IMAGE_PULLER_NEEDS)));
        const puller = runInImage(img(), [IMAGE_PULLER_NEEDS, "-c", 'echo "Pulling complete"'], { user: "65534:65534" });
        assert.equal(puller.status, 0, puller.stderr);
        assert.equal(puller.stdout.trim(), "Pulling complete");
        const post = runInImage(img(), ["sh", "-c", "id -u; echo $HOME"], { user: podUser(img()) });
        assert.equal(post.status, 0, post.stderr);
        assert.deepEqual(post.stdout.trim().split("\n"), [String(CHART_SINGLEUSER_DEFAULTS.uid), SINGLEUSER_SAMPLE.home]);
    });

    it("starts jupyterhub-singleuser through the entrypoint (its --version, as the pod's user)", () => {
        const r = runInImage(img(), [...SINGLEUSER_SAMPLE.entrypoint, "jupyterhub-singleuser", "--version"], { user: podUser(img()) });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout.trim(), /^5\.5\.\d+$/);
    });
});

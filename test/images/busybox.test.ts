// The busybox the hostPath provisioner's helper pods run (images/busybox): their setup and teardown
// scripts (rancher/local-path-provisioner v0.0.30 deploy/local-path-storage.yaml) run by its sh.
import * as assert from "node:assert/strict";
import { it } from "node:test";

import { describeImage, runInImage } from "../support/image-archive";

describeImage("busybox", (img) => {
    it("is the helper pods' busybox, with sh, mkdir and rm (their setup and teardown scripts)", () => {
        assert.equal(img().ref, "docker.io/library/busybox:1.35.0");
        const r = runInImage(img(), [
            "sh",
            "-c",
            'VOL_DIR=/tmp/pvc-1/x; mkdir -m 0777 -p "$VOL_DIR" && stat -c %a "$VOL_DIR" && rm -rf /tmp/pvc-1 && echo removed',
        ]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split("\n"), ["777", "removed"]);
    });
});

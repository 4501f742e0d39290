// The real node's hostPath provisioner (images/local-path-provisioner, rancher/local-path-provisioner):
// the command upstream's deploy manifest runs (deploy/local-path-storage.yaml of the module's version).
import * as assert from "node:assert/strict";
import { it } from "node:test";

import { describeImage, runInImage, which } from "../support/image-archive";

describeImage("local-path-provisioner", (img) => {
    it("is rancher/local-path-provisioner:v0.0.30 with local-path-provisioner on PATH as its command", () => {
        assert.equal(img().ref, "rancher/local-path-provisioner:v0.0.30");
        assert.deepEqual(img().config.Cmd, ["local-path-provisioner"]);
        assert.equal(which(img(), "local-path-provisioner"), "/usr/bin/local-path-provisioner");
    });

    it("answers its version and has the `start --config` the deploy manifest runs", () => {
        const v = runInImage(img(), ["local-path-provisioner", "--version"]);
        assert.equal(v.status, 0, v.stderr);
        assert.match(v.stdout, /v0\.0\.30/);
        const help = runInImage(img(), ["local-path-provisioner", "start", "--help"]);
        assert.match(help.stdout + help.stderr, /--config/);
    });
});

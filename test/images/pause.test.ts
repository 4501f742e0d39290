// The pause stand-in (images/pause, registry.k8s.io/pause at the chart's tag), run by the chart's
// continuous image puller and the user placeholders: /pause as the entrypoint, user 65535, static.
import * as assert from "node:assert/strict";
import { it } from "node:test";

import { CHART_OWN_IMAGES } from "../support/image-contracts";
import { describeImage, runInImage } from "../support/image-archive";

const REF = CHART_OWN_IMAGES.find((i) => i.image.startsWith("registry.k8s.io/pause:"))!.image;

describeImage("pause", (img) => {
    it("is written under the reference the chart pins, /pause as user 65535", () => {
        assert.equal(img().ref, REF);
        assert.deepEqual(img().config.Entrypoint, ["/pause"]);
        assert.equal(img().config.User, "65535:65535");
    });

    it(`is pause.c v${REF.split(":")[1]}, running without libraries as 65534 (the puller's uid)`, () => {
        const r = runInImage(img(), ["/pause", "-v"], { user: "65534:65534", capabilities: [] });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), `pause.c v${REF.split(":")[1]}`);
    });
});

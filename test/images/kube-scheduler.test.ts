// The user scheduler's stand-in (images/kube-scheduler, registry.k8s.io/kube-scheduler at the chart's
// tag): the binary where the chart's `command:` names it, its version, the flags the chart passes,
// runnable as the chart's uid 65534 without a shell or libraries.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { it } from "node:test";

import { CHART_OWN_IMAGES } from "../support/image-contracts";
import { describeImage, inRootfs, runInImage } from "../support/image-archive";

const REF = CHART_OWN_IMAGES.find((i) => i.image.startsWith("registry.k8s.io/kube-scheduler:"))!.image;
const BINARY = "/usr/local/bin/kube-scheduler"; // templates/scheduling/user-scheduler/deployment.yaml command

describeImage("kube-scheduler", (img) => {
    it("is written under the reference the chart pins", () => {
        assert.equal(img().ref, REF);
    });

    it(`has ${BINARY}, static (the image has no libraries)`, () => {
        const head = fs.readFileSync(inRootfs(img(), BINARY)).subarray(0, 4);
        assert.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46]);
        assert.ok(!fs.existsSync(inRootfs(img(), "/lib64/ld-linux-x86-64.so.2")));
    });

    it(`is ${REF.split(":")[1]} and accepts the chart's flags, as 65534`, () => {
        const v = runInImage(img(), [BINARY, "--version"], { user: "65534:65534", capabilities: [] });
        assert.equal(v.status, 0, v.stderr);
        assert.equal(v.stdout.trim(), `Kubernetes ${REF.split(":")[1]}`);
        const help = runInImage(img(), [BINARY, "--help"], { user: "65534:65534" });
        for (const flag of ["--config", "--authentication-skip-lookup", "--v"]) assert.match(help.stdout, new RegExp(`\\s${flag}[ =]`), flag);
    });

    it("has a writable /tmp (mode 1777) and nobody (65534) in /etc/passwd", () => {
        assert.equal(fs.statSync(inRootfs(img(), "/tmp")).mode & 0o7777, 0o1777);
        assert.match(fs.readFileSync(inRootfs(img(), "/etc/passwd"), "utf8"), /^nobody:x:65534:65534:/m);
    });
});

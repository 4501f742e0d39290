// The proxy's stand-in (images/configurable-http-proxy, quay.io/jupyterhub/configurable-http-proxy:5.2.0)
// against what the chart's proxy Deployment relies on: uid 65534, configurable-http-proxy on PATH
// (the chart's `command:` starts with it), a proxy that serves and answers its API; and the image's
// own entrypoint as docs/images.md describes it.
import * as assert from "node:assert/strict";
import { it } from "node:test";

import { CHART_OWN_IMAGES } from "../support/image-contracts";
import { describeImage, runInImage, which } from "../support/image-archive";

const REF = "quay.io/jupyterhub/configurable-http-proxy:5.2.0";
const CHART_USER = "65534:65534"; // values.yaml proxy.chp.containerSecurityContext

describeImage("configurable-http-proxy", (img) => {
    it("is written under the reference the chart pins", () => {
        assert.ok(CHART_OWN_IMAGES.some((i) => i.image === REF));
        assert.equal(img().ref, REF);
    });

    it("runs as 65534, with configurable-http-proxy on PATH from /srv/configurable-http-proxy", () => {
        assert.equal(img().config.User, "65534");
        assert.equal(which(img(), "configurable-http-proxy"), "/srv/configurable-http-proxy/bin/configurable-http-proxy");
        assert.deepEqual(img().config.Entrypoint, ["/srv/configurable-http-proxy/chp-docker-entrypoint"]);
        assert.deepEqual(Object.keys(img().config.ExposedPorts ?? {}).sort(), ["8000/tcp", "8001/tcp"]);
    });

    it("is configurable-http-proxy 5.2.0", () => {
        const r = runInImage(img(), ["configurable-http-proxy", "--version"], { user: CHART_USER });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), "5.2.0");
    });

    it("serves with the chart's kind of arguments and answers its API with the token from CONFIGPROXY_AUTH_TOKEN", () => {
        const script = [
            "configurable-http-proxy --ip= --api-ip=127.0.0.1 --api-port=8001 --default-target=http://127.0.0.1:8081 --error-target=http://127.0.0.1:8081/hub/error --port=8000 &",
            "pid=$!",
            'for i in $(seq 100); do out=$(curl -sf -H "Authorization: token $CONFIGPROXY_AUTH_TOKEN" http://127.0.0.1:8001/api/routes) && break; sleep 0.1; done',
            'kill $pid; echo "$out"; [ -n "$out" ]',
        ].join("\n");
        const r = runInImage(img(), ["sh", "-c", script], { user: CHART_USER, env: { CONFIGPROXY_AUTH_TOKEN: "token-for-the-image-test" }, capabilities: [] });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.deepEqual(Object.keys(JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as object), ["/"]);
    });

    it("has an entrypoint that reads the token from CONFIGPROXY_AUTH_TOKEN_FILE, refuses both, and listens for the API on every interface", () => {
        const both = runInImage(img(), ["/srv/configurable-http-proxy/chp-docker-entrypoint", "--version"], {
            user: CHART_USER,
            env: { CONFIGPROXY_AUTH_TOKEN: "a", CONFIGPROXY_AUTH_TOKEN_FILE: "/dev/null" },
        });
        assert.notEqual(both.status, 0);
        const script = [
            "echo file-token > /tmp/token",
            "CONFIGPROXY_AUTH_TOKEN_FILE=/tmp/token /srv/configurable-http-proxy/chp-docker-entrypoint --port=8000 --api-port=8001 &",
            "pid=$!",
            'for i in $(seq 100); do out=$(curl -sf -H "Authorization: token file-token" http://127.0.0.2:8001/api/routes) && break; sleep 0.1; done',
            'kill $pid; [ -n "$out" ]',
        ].join("\n");
        const r = runInImage(img(), ["sh", "-c", script], { user: CHART_USER });
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });
});

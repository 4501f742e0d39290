// The hub stand-in (images/hub, quay.io/jupyterhub/k8s-hub:4.4.0) against what the chart and the
// program rely on in the real image (test/support/image-contracts.ts HUB; docs/images.md).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { it } from "node:test";

import { HUB } from "../support/image-contracts";
import { describeImage, imageUser, inRootfs, passwd, runInImage, which } from "../support/image-archive";

const CHART_RUNS_AS = `${HUB.user.uid}:${HUB.user.gid}`;

describeImage("hub", (img) => {
    it("is written under the chart's reference", () => {
        assert.equal(img().ref, HUB.image);
    });

    it(`runs as ${HUB.user.name} (${HUB.user.uid}:${HUB.user.gid}), the user the chart's securityContext names`, () => {
        assert.equal(img().config.User, HUB.user.name);
        assert.equal(imageUser(img()), CHART_RUNS_AS);
        assert.equal(passwd(img())[HUB.user.name]?.home, "/home/jovyan");
    });

    it("has the Dockerfile's entrypoint and command, tini on PATH", () => {
        assert.deepEqual(img().config.Entrypoint, HUB.entrypoint);
        assert.deepEqual(img().config.Cmd, HUB.cmd);
        assert.ok(which(img(), "tini"), "tini is not on the image's PATH");
        assert.ok(which(img(), "jupyterhub"), "jupyterhub is not on the image's PATH (the chart's args start with it)");
    });

    it("works in /srv/jupyterhub, owned by the hub's user (the chart mounts the hub's state there)", () => {
        assert.equal(img().config.WorkingDir, "/srv/jupyterhub");
        const st = fs.statSync(inRootfs(img(), "/srv/jupyterhub"));
        assert.equal(`${st.uid}:${st.gid}`, CHART_RUNS_AS);
    });

    it("has the package versions the program's hub.config and extraConfig are written for", () => {
        const r = runInImage(
            img(),
            ["python3", "-c", "import importlib.metadata as m, sys; [print(p, m.version(p)) for p in sys.argv[1:]]", ...Object.keys(HUB.packages)],
            { user: CHART_RUNS_AS },
        );
        assert.equal(r.status, 0, r.stderr);
        const got: Record<string, string> = Object.fromEntries(
            r.stdout
                .trim()
                .split("\n")
                .map((l) => l.split(" ") as [string, string]),
        );
        assert.deepEqual(got, HUB.packages);
    });

    it("imports what the chart's jupyterhub_config.py and the program's extraConfig import, pycurl with Debian's libcurl", () => {
        const modules = [
            "jupyterhub.utils",
            "kubernetes_asyncio.client",
            "kubespawner",
            "ldapauthenticator",
            "ldap3",
            "pymysql", // hub.db.url is mysql+pymysql://
            "cryptography", // CryptKeeper (the program's crypt key)
            "pycurl",
            "tornado.curl_httpclient",
            "tornado.web",
            "yaml", // z2jh.py reads the values files
        ];
        const code = `import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\nimport pycurl; print(pycurl.version)`;
        const r = runInImage(img(), ["python3", "-c", code, ...modules], { user: CHART_RUNS_AS });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /libcurl\//);
    });

    it(`\`jupyterhub --version\` answers ${HUB.packages.jupyterhub} as the chart's user`, () => {
        const r = runInImage(img(), ["jupyterhub", "--version"], { user: CHART_RUNS_AS });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), HUB.packages.jupyterhub);
    });
});

import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { get } from "../support/helpers";
import { ProgramRun, reveal, runProgram } from "../support/program";

// The dev stack with an ingress host but no certificate: a self-signed one must be generated.
let run: ProgramRun;
before(async () => {
    run = await runProgram("dev", {
        "jupyterhub:ingress": { enabled: true, host: "hub.dev.example.org" },
        "jupyterhub:dataPolicy": "delete",
        "jupyterhub:nfs": { onDelete: "delete" },
    });
});

describe("program (dev stack with ingress, no certificate, data deletion chosen)", () => {
    it("generates a self-signed certificate for the host and serves the ingress with it", () => {
        const cert = run.byName("jupyterhub-ingress", "SelfSignedCert").inputs;
        assert.deepEqual(cert.dnsNames, ["hub.dev.example.org"]);
        const secret = reveal(run.byName("jupyterhub-ingress-tls", "Secret").inputs);
        assert.equal(get(secret, "type"), "kubernetes.io/tls");
        assert.match(String((get(secret, "stringData") as Record<string, string>)["tls.key"]), /PRIVATE KEY/);
        assert.deepEqual(get(reveal(run.byName("jupyterhub").inputs), "values.ingress.tls"), [
            { hosts: ["hub.dev.example.org"], secretName: "jupyterhub-tls" },
        ]);
        assert.equal(run.outputs.hubUrl, "https://hub.dev.example.org/");
    });

    it("with dataPolicy delete, nothing is retained and homes are deleted with their volumes", () => {
        assert.deepEqual(
            run.resources.filter((r) => r.retainOnDelete).map((r) => r.name),
            [],
        );
        assert.equal(get(run.byName("nfs-home").inputs, "reclaimPolicy"), "Delete");
        assert.equal(get(run.byName("nfs-home").inputs, "parameters.onDelete"), "delete");
    });
});

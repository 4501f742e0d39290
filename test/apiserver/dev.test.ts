// The dev stack's objects against a real kube-apiserver (see test/support/apiserver-harness.ts for what this covers).
import { devStackObjects } from "../support/dev-objects";
import { apiServerSuite } from "../support/apiserver-harness";

const NS = "jhub-apiserver";

apiServerSuite({ stack: "dev", namespace: NS, expected: devStackObjects(NS) });

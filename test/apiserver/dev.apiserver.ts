// The dev stack's objects against a real kube-apiserver (see harness.ts for what this covers).
import { devStackObjects } from "../dev-objects";
import { apiServerSuite } from "./harness";

const NS = "jhub-apiserver";

apiServerSuite({ stack: "dev", namespace: NS, expected: devStackObjects(NS) });

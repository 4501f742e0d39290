// A real node (.ci/node.sh) on the private control plane of .ci/node-test.sh: started, proved with
// pods of a locally built image (Ready, DNS through CoreDNS, a Service through kube-proxy, the API
// server through the kubernetes Service with a ServiceAccount token), stopped, and the machine
// compared with what it was before.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";

import { kubectl, machine, Machine, must, nodeDir, nodeSh, nodeTestArchive, pin, requireCluster, sh } from "../support/node-harness";

const NS = "node-test";
const NODE_NAME = "jhub-node-0";
const IMAGE = pin("NODE_TEST_IMAGE");
const KUBE_VERSION = pin("KUBE_VERSION");

/** A pod of the test image on the real node; `sh -c` runs SCRIPT as its command. */
function pod(name: string, script: string, extra: Record<string, unknown> = {}) {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: NS, labels: { app: name } },
        spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", script], ...extra }],
        },
    };
}
const exec = (name: string, script: string) => kubectl(["-n", NS, "exec", name, "--", "sh", "-c", script]);

describe("a real node: kubelet, kube-proxy, containerd and CoreDNS beside the control plane", () => {
    let machineBefore: Machine;
    let started = false;

    before(() => {
        requireCluster();
        machineBefore = machine();
        const r = nodeSh(["start"]);
        assert.equal(r.status, 0, `.ci/node.sh start failed:\n${r.stderr.slice(-6000)}`);
        started = true;
        console.log(`# node start: ${r.seconds.toFixed(1)} s (${/ready in .*$/m.exec(r.stderr)?.[0] ?? "?"})`);
    });

    after(() => {
        // a test that failed before the last one still leaves the machine clean
        if (started) nodeSh(["stop"]);
    });

    it(`the Node is Ready, its kubelet of v${KUBE_VERSION} on containerd 1.x, its address the bridge's, and CoreDNS runs on it`, () => {
        const node = JSON.parse(kubectl(["get", "node", NODE_NAME, "-o", "json"])) as {
            status: {
                conditions: Array<{ type: string; status: string }>;
                nodeInfo: Record<string, string>;
                addresses: Array<{ type: string; address: string }>;
            };
        };
        assert.equal(node.status.conditions.find((c) => c.type === "Ready")?.status, "True");
        assert.equal(node.status.nodeInfo.kubeletVersion, `v${KUBE_VERSION}`);
        assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\./);
        // the node IP is the bridge's own address, never the machine's interface
        assert.deepEqual(
            node.status.addresses.filter((a) => a.type === "InternalIP").map((a) => a.address),
            ["10.89.0.1"],
        );
        const dns = kubectl([
            "-n",
            "kube-system",
            "get",
            "pods",
            "-l",
            "k8s-app=kube-dns",
            "-o",
            "jsonpath={.items[*].spec.nodeName} {.items[*].status.containerStatuses[0].ready}",
        ]);
        assert.equal(dns, `${NODE_NAME} true`);
    });

    it("kwok's fake node is tainted, so pods land on the real node", () => {
        const taints = kubectl(["get", "nodes", "-l", "type=kwok", "-o", "jsonpath={.items[*].spec.taints[*].key}"]);
        assert.match(taints, /jhub\.dev\/fake-node/);
    });

    it("imports the locally built test image under its reference (.ci/node.sh import)", () => {
        const r = nodeSh(["import", nodeTestArchive(), IMAGE]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(
            must("ctr", ["--address", `${nodeDir()}/containerd/containerd.sock`, "-n", "k8s.io", "images", "ls", "-q"]),
            new RegExp(`^${IMAGE}$`, "m"),
        );
        kubectl(["create", "namespace", NS]);
    });

    it("a pod of that image Runs and becomes Ready, started from the image already present (no pull)", () => {
        const web = pod("web", "mkdir -p /www && echo hello-from-web >/www/index.html && exec httpd -f -p 8080 -h /www", {
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { path: "/index.html", port: 8080 }, periodSeconds: 1 },
        });
        const svc = {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "web", namespace: NS },
            spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
        };
        const client = pod("client", "exec sleep 3600");
        kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: [web, svc, client] }));
        kubectl(["-n", NS, "wait", "--for=condition=Ready", "pod/web", "pod/client", "--timeout=120s"]);
        const placed = kubectl(["-n", NS, "get", "pods", "-o", "jsonpath={.items[*].spec.nodeName}"]);
        assert.equal(placed, `${NODE_NAME} ${NODE_NAME}`);
        const events = kubectl(["-n", NS, "get", "events", "--field-selector", "involvedObject.name=web", "-o", "jsonpath={.items[*].message}"]);
        assert.match(events, /already present on machine/);
        assert.doesNotMatch(events, /Pulling image/);
    });

    it("a Service name resolves through CoreDNS, and its ClusterIP answers through kube-proxy", () => {
        const ip = kubectl(["-n", NS, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"]);
        const lookup = exec("client", `nslookup -type=a web.${NS}.svc.cluster.local`);
        assert.match(lookup, new RegExp(`Address:\\s+${ip.replace(/\./g, "\\.")}`));
        // the search path of the pod's resolv.conf (ClusterFirst) and the Service's port 80
        assert.equal(exec("client", "wget -qO- http://web/index.html").trim(), "hello-from-web");
    });

    it("the pod reaches the API server through the kubernetes Service with its ServiceAccount token, its certificate checked", () => {
        // apicheck (test/node/apicheck.go) as client-go in a pod: $KUBERNETES_SERVICE_HOST, then the Service's name
        assert.equal(exec("client", "echo $KUBERNETES_SERVICE_HOST").trim(), "10.96.0.1");
        for (const url of [[], ["https://kubernetes.default.svc"]]) {
            assert.equal(kubectl(["-n", NS, "exec", "client", "--", "apicheck", ...url]).trim(), `system:serviceaccount:${NS}:default`);
        }
    });

    it("an image that was never imported is not fetched from anywhere: the pull fails at once", () => {
        kubectl(["apply", "-f", "-"], JSON.stringify(pod("absent", "true", { image: "registry.k8s.io/jhub-node-test/absent:0.0.1" })));
        kubectl(["-n", NS, "wait", "pod/absent", "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=ErrImagePull", "--timeout=60s"]);
        const msg = kubectl(["-n", NS, "get", "pod", "absent", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.message}"]);
        // containerd pulls through the proxy on 127.0.0.1:9 where nothing listens
        assert.match(msg, /127\.0\.0\.1:9/);
    });

    it("pods reach nothing beyond the node: a packet for another interface's network is dropped, not forwarded", () => {
        // a veth pair of the test's own stands for the machine's network (the kernel here has no
        // dummy interfaces): were forwarding open, the pod's packets (or the ARP request for their
        // next hop) would leave through it, and its transmit counter would move (4 ARP requests when
        // both the node's routing rule and its nftables table were removed by hand)
        const [dev, peer] = ["jhub-fwdt0", "jhub-fwdt1"];
        must("ip", ["link", "add", dev, "type", "veth", "peer", "name", peer]);
        try {
            for (const d of [dev, peer]) fs.writeFileSync(`/proc/sys/net/ipv6/conf/${d}/disable_ipv6`, "1");
            must("ip", ["addr", "add", "10.98.0.1/24", "dev", dev]);
            for (const d of [dev, peer]) must("ip", ["link", "set", d, "up"]);
            const r = sh("kubectl", ["-n", NS, "exec", "client", "--", "timeout", "5", "wget", "-qO-", "http://10.98.0.2/"]);
            assert.notEqual(r.status, 0, r.stdout);
            assert.equal(fs.readFileSync(`/sys/class/net/${dev}/statistics/tx_packets`, "utf8").trim(), "0");
        } finally {
            must("ip", ["link", "del", dev]);
        }
    });

    it("kubectl logs reaches the kubelet (the API server's client certificate)", () => {
        assert.match(kubectl(["-n", "kube-system", "logs", "deploy/coredns"]), /CoreDNS-1\./);
    });

    it("idle: CPU and memory of the node with CoreDNS and two pods (measured, printed)", () => {
        const out = nodeSh(["usage", "20"], {}, 60).stdout.trim();
        console.log(`# ${out}`);
        const pct = Number(/: ([\d.]+)% of a core/.exec(out)?.[1]);
        assert.ok(pct < 50, out);
    });

    it("stops cleanly: pods through the kubelet, then daemons, shims, network, mounts, cgroups, sysctls", () => {
        const r = nodeSh(["stop"]);
        started = false;
        assert.equal(r.status, 0, r.stderr);
        console.log(`# node stop: ${r.seconds.toFixed(1)} s`);
        assert.match(r.stderr, /pods stopped by the kubelet/);
        assert.deepEqual(machine(), machineBefore);
        assert.equal(sh("kubectl", ["get", "node", NODE_NAME]).status, 1);
        assert.equal(kubectl(["get", "nodes", "-l", "type=kwok", "-o", "jsonpath={.items[*].spec.taints}"]), "");
    });
});

// The one-time move of the privileged storage parts out of the hub's namespace (release 0.1.0 ran
// them there): a Pulumi dynamic resource whose `check` reads where the NFS server's disk and
// address are, and whose `create` moves what cannot be moved by the engine alone. Why a dynamic
// resource: a claim cannot change namespace, and a PersistentVolume, a Service's ClusterIP and two
// servers on one disk need an order the engine's create-before-delete replacement does not give
// (the old server stopped and its address freed before the new ones exist), and the facts (which
// volume, which address) are in the cluster, not in the program.
//
// What happens, in order, when the hub's namespace still holds the 0.1.0 layout:
//   1. the server's PersistentVolume gets persistentVolumeReclaimPolicy Retain, so that nothing
//      below can delete it;
//   2. the old NFS server, csi-driver-nfs controller and node plugin are deleted and their pods
//      waited for (two servers on one disk would corrupt it; two node plugins share host sockets);
//   3. the PersistentVolume's claimRef is pointed at the claim of the same name in the storage
//      namespace (no uid: the volume controller binds it when the program creates that claim with
//      volumeName), and the old claim is deleted (no longer bound to the volume, it frees nothing);
//   4. the old Service is deleted, which frees its ClusterIP: the program's Service in the storage
//      namespace asks for the same address (spec.clusterIP), which home volumes name;
//   5. with dataPolicy delete, the volume's own reclaim policy is put back.
// Every step is idempotent: a move cut short is finished by the next `pulumi up`.
import * as pulumi from "@pulumi/pulumi";

/** Runs kubectl with the arguments (and standard input), returns its standard output; throws on failure. */
export type Kubectl = (args: string[], input?: string) => string;

/** Names of the objects that move, the same in both namespaces. */
export const MOVED = {
    claim: "nfs-server-data",
    service: "nfs-server",
    server: "nfs-server",
    csiController: "csi-nfs-controller",
    csiNode: "csi-nfs-node",
} as const;

export interface MoveArgs {
    /** The hub's namespace, where 0.1.0 ran the storage parts. */
    from: string;
    /** The storage namespace. */
    to: string;
    /** The home StorageClass, whose parameters.server is the address home volumes name. */
    storageClass: string;
    /** Whether the stack runs the in-cluster NFS server (else only the CSI driver moves). */
    inClusterServer: boolean;
    dataPolicy: "retain" | "delete";
}

/** Where the server's disk and address are: what the program's claim and Service in the storage namespace ask for. */
export interface StorageFacts {
    /** The address home volumes, the StorageClass and the shared volumes name: kept. */
    address?: string;
    /** The server's PersistentVolume, bound to the claim in the storage namespace. */
    volumeName?: string;
    /** Its StorageClass: the claim must name the same to bind it. */
    storageClassName?: string;
}

type Obj = { metadata?: { name?: string; namespace?: string }; spec?: Record<string, unknown> };
type Pv = Obj & { spec?: { claimRef?: { namespace?: string; name?: string }; persistentVolumeReclaimPolicy?: string; storageClassName?: string } };

/** The object as JSON, or undefined when it does not exist. */
function getObj<T = Obj>(k: Kubectl, kind: string, name: string, ns?: string): T | undefined {
    const out = k(["get", kind, name, ...(ns ? ["-n", ns] : []), "--ignore-not-found", "-o", "json"]).trim();
    return out === "" ? undefined : (JSON.parse(out) as T);
}

/** The PersistentVolume whose claimRef names the claim, if any (a move cut short after step 3). */
function volumeFor(k: Kubectl, ns: string, claim: string): Pv | undefined {
    const pvs = JSON.parse(k(["get", "persistentvolumes", "-o", "json"])) as { items: Pv[] };
    return pvs.items.find((pv) => pv.spec?.claimRef?.namespace === ns && pv.spec.claimRef.name === claim);
}

/**
 * The facts, read from the cluster: the storage namespace's objects first (a stack already moved,
 * or kept by a retaining destroy), then the hub namespace's (0.1.0), then what a move cut short
 * leaves (a volume already pointed at the new claim, the address the StorageClass names).
 */
export function readFacts(k: Kubectl, a: MoveArgs): StorageFacts {
    if (!a.inClusterServer) return {};
    const svc = (ns: string) => getObj<{ spec?: { clusterIP?: string } }>(k, "service", MOVED.service, ns)?.spec?.clusterIP;
    const claim = (ns: string) => getObj<{ spec?: { volumeName?: string; storageClassName?: string } }>(k, "persistentvolumeclaim", MOVED.claim, ns)?.spec;
    const sc = getObj<{ parameters?: { server?: string } }>(k, "storageclass", a.storageClass);
    const address = svc(a.to) ?? svc(a.from) ?? sc?.parameters?.server;
    const bound = claim(a.to) ?? claim(a.from);
    const facts: StorageFacts = {};
    if (address && address !== "None") facts.address = address;
    if (bound?.volumeName) {
        facts.volumeName = bound.volumeName;
        const pv = getObj<Pv>(k, "persistentvolume", bound.volumeName);
        // A claim made without a class (0.1.0's, on a cluster without a default class) reads back without one.
        facts.storageClassName = bound.storageClassName ?? pv?.spec?.storageClassName ?? "";
    } else {
        const pv = volumeFor(k, a.to, MOVED.claim);
        if (pv?.metadata?.name) {
            facts.volumeName = pv.metadata.name;
            facts.storageClassName = pv.spec?.storageClassName ?? "";
        }
    }
    return facts;
}

/** Whether the hub's namespace still holds any part of the 0.1.0 layout. */
export function oldLayoutPresent(k: Kubectl, a: MoveArgs): boolean {
    const here = (kind: string, name: string) => getObj(k, kind, name, a.from) !== undefined;
    return (
        here("persistentvolumeclaim", MOVED.claim) ||
        here("service", MOVED.service) ||
        here("deployment", MOVED.server) ||
        here("deployment", MOVED.csiController) ||
        here("daemonset", MOVED.csiNode)
    );
}

/** Deletes a workload and waits until its pods are gone (foreground cascading deletion). */
function stop(k: Kubectl, kind: string, name: string, ns: string): void {
    k(["delete", kind, name, "-n", ns, "--ignore-not-found", "--cascade=foreground", "--wait=true", "--timeout=10m"]);
}

/** Moves the 0.1.0 layout's storage parts out of the hub's namespace (see the top of the file); returns what it did. */
export function moveStorage(k: Kubectl, a: MoveArgs, facts: StorageFacts): string[] {
    const done: string[] = [];
    if (!oldLayoutPresent(k, a)) return done;
    const pvName = facts.volumeName;
    const pv = pvName ? getObj<Pv>(k, "persistentvolume", pvName) : undefined;
    const policy = pv?.spec?.persistentVolumeReclaimPolicy;
    if (pvName && pv && policy !== "Retain") {
        k(["patch", "persistentvolume", pvName, "--type=merge", "-p", JSON.stringify({ spec: { persistentVolumeReclaimPolicy: "Retain" } })]);
        done.push(`PersistentVolume ${pvName}: reclaim policy ${policy ?? "?"} -> Retain`);
    }
    for (const [kind, name] of [
        ["deployment", MOVED.server],
        ["deployment", MOVED.csiController],
        ["daemonset", MOVED.csiNode],
    ]) {
        if (getObj(k, kind, name, a.from) === undefined) continue;
        stop(k, kind, name, a.from);
        done.push(`${kind} ${a.from}/${name} deleted, its pods gone`);
    }
    const ref = pv?.spec?.claimRef;
    if (pvName && ref?.namespace === a.from && ref.name === MOVED.claim) {
        const claimRef = { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: a.to, name: MOVED.claim };
        k(["patch", "persistentvolume", pvName, "--type=json", "-p", JSON.stringify([{ op: "replace", path: "/spec/claimRef", value: claimRef }])]);
        done.push(`PersistentVolume ${pvName}: claimRef ${a.from}/${MOVED.claim} -> ${a.to}/${MOVED.claim}`);
    }
    if (getObj(k, "persistentvolumeclaim", MOVED.claim, a.from) !== undefined) {
        k(["delete", "persistentvolumeclaim", MOVED.claim, "-n", a.from, "--ignore-not-found", "--wait=false"]);
        done.push(`PersistentVolumeClaim ${a.from}/${MOVED.claim} deleted (the volume is no longer bound to it)`);
    }
    if (getObj(k, "service", MOVED.service, a.from) !== undefined) {
        k(["delete", "service", MOVED.service, "-n", a.from, "--ignore-not-found", "--wait=true", "--timeout=5m"]);
        done.push(`Service ${a.from}/${MOVED.service} deleted: ${facts.address ?? "its address"} is free for ${a.to}/${MOVED.service}`);
    }
    if (pvName && policy && policy !== "Retain" && a.dataPolicy === "delete") {
        k(["patch", "persistentvolume", pvName, "--type=merge", "-p", JSON.stringify({ spec: { persistentVolumeReclaimPolicy: policy } })]);
        done.push(`PersistentVolume ${pvName}: reclaim policy back to ${policy} (dataPolicy delete)`);
    }
    return done;
}

/** kubectl of this machine, with the environment's kubeconfig: the one the program's Kubernetes providers use. */
function localKubectl(): Kubectl {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in the dynamic provider's process, which loads it itself
    const { execFileSync } = require("child_process") as typeof import("node:child_process");
    return (args, input) => {
        try {
            return execFileSync("kubectl", args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
        } catch (e) {
            const err = e as { code?: string; stderr?: string; message: string };
            if (err.code === "ENOENT")
                throw new Error(
                    "the storage move (nfs-move) reads and moves the NFS server's objects with kubectl, which is not on PATH: install kubectl, for the kubeconfig the Kubernetes provider uses",
                    { cause: e },
                );
            throw new Error(`kubectl ${args.join(" ")}: ${String(err.stderr ?? err.message).trim()}`, { cause: e });
        }
    };
}

/** The facts travel as one JSON string, present even when empty: a preview marks an output that a resource's state lacks as unknown. */
type MoveInputs = MoveArgs & { facts: string };

function factsOf(i: Partial<MoveInputs>): StorageFacts {
    return typeof i.facts === "string" ? (JSON.parse(i.facts) as StorageFacts) : {};
}

/**
 * The provider. check: the facts are read once, when the resource is first created (a preview
 * shows them), and kept from then on, so that the claim and the Service never see them change.
 */
const storageMoveProvider: pulumi.dynamic.ResourceProvider = {
    check(olds: Partial<MoveInputs>, news: MoveInputs) {
        const same = olds.from === news.from && olds.to === news.to && typeof olds.facts === "string";
        return Promise.resolve({ inputs: { ...news, facts: same ? olds.facts : JSON.stringify(readFacts(localKubectl(), news)) } });
    },
    diff(_id: string, olds: MoveInputs, news: MoveInputs) {
        const changed = (["from", "to", "storageClass", "inClusterServer", "dataPolicy"] as const).filter((k) => olds[k] !== news[k]);
        return Promise.resolve({ changes: changed.length > 0 });
    },
    create(inputs: MoveInputs) {
        const done = moveStorage(localKubectl(), inputs, factsOf(inputs));
        return Promise.resolve({ id: `${inputs.from}->${inputs.to}`, outs: { ...inputs, moved: done } });
    },
    update(_id: string, _olds: MoveInputs, news: MoveInputs) {
        const done = moveStorage(localKubectl(), news, factsOf(news));
        return Promise.resolve({ outs: { ...news, moved: done } });
    },
    // The move is one way: nothing to undo.
    delete: () => Promise.resolve(),
};

/**
 * The move as a resource: created once per stack (a stack deployed without the old layout moves
 * nothing and only records the facts), before the storage namespace's claim, Service and servers.
 */
export class StorageMove extends pulumi.dynamic.Resource {
    /** Where the server's disk and address are (StorageFacts), as JSON. */
    declare public readonly facts: pulumi.Output<string>;
    /** What the move did, step by step (empty for a stack that had nothing to move). */
    declare public readonly moved: pulumi.Output<string[]>;

    constructor(name: string, args: MoveArgs, opts?: pulumi.CustomResourceOptions) {
        super(storageMoveProvider, name, { ...args, facts: undefined, moved: undefined }, opts);
    }

    /** One of the facts; undefined when the cluster had none (a new stack: a new volume, an address of its own). */
    public fact<K extends keyof StorageFacts>(key: K): pulumi.Output<StorageFacts[K] | undefined> {
        return this.facts.apply((f) => (typeof f === "string" ? (JSON.parse(f) as StorageFacts)[key] : undefined));
    }
}

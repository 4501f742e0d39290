// The Kubernetes versions the stack runs on, as one rule: the preflight check compares the API
// server's version with it before anything is created (components/preflight/templates/check.yaml,
// Helm's semverCompare), and `kubeVersionProblem` says the same in TypeScript, for the tests.
import { NS } from "./schema";

/**
 * The floor: z2jh 4.x's Chart.yaml `kubeVersion` (4.3.5 and 4.4.0 alike, the charts config.ts
 * CHART_RANGE admits). Helm refuses to render the chart on an older API server, but only when it
 * reaches the chart, after the namespaces, the database and the directory exist. Every API the
 * program itself uses is GA by then (CronJob timeZone: 1.27).
 */
export const CHART_KUBE_VERSION = ">=1.28.0-0";
const LOWEST = "1.28";

/**
 * The newest minor version every tier runs on: the local control plane (k8s.io/kubernetes 1.37.2,
 * .ci/lib.sh KUBE_VERSION) and the kind check's node image (kindest/node v1.37.0). A newer API
 * server may have removed or changed what the program and the chart use: refused unless
 * `allowUntestedKubernetes` accepts it. Raise it with the toolchain.
 */
export const NEWEST_TESTED = "1.37";
/** The versions the program is tested on, as the docs and the lines say them. */
export const KUBE_RANGE = `${LOWEST} to ${NEWEST_TESTED}`;

/** What the preflight compares `.Capabilities.KubeVersion.Version` with, and its lines (`%s`: the version). */
export interface KubeVersionRule {
    /** A semver constraint the version must meet, or nothing is deployed. */
    required: string;
    /** A semver constraint of the tested versions: outside it, refused unless allowUntested. */
    tested: string;
    allowUntested: boolean;
    tooOld: string;
    untested: string;
}

/** The rule for a stack (its `allowUntestedKubernetes`). */
export function kubeVersionRule(allowUntested: boolean): KubeVersionRule {
    const [major, minor] = NEWEST_TESTED.split(".").map(Number);
    const range = KUBE_RANGE;
    return {
        required: CHART_KUBE_VERSION,
        tested: `<${major}.${minor + 1}.0-0`,
        allowUntested,
        tooOld:
            `the API server runs Kubernetes %s, older than the Zero to JupyterHub chart supports (kubeVersion "${CHART_KUBE_VERSION}" in every ` +
            `z2jh 4.x, ${NS}:hub.chartVersion): upgrade the cluster to ${LOWEST} or newer (this program is tested on ${range}).`,
        untested:
            `the API server runs Kubernetes %s, newer than this program is tested on (${range}; README.md "What the cluster needs"): ` +
            `deploy to a cluster of ${range}, use a release of the program tested on your version, or accept the untested version ` +
            `with pulumi config set ${NS}:allowUntestedKubernetes true.`,
    };
}

/** major and minor of a version as the API server reports it (v1.30.4-eks-a737599, v1.28.3+k3s1). */
function majorMinor(version: string): [number, number] {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(version);
    if (!m) throw new Error(`"${version}" is no Kubernetes version`);
    return [Number(m[1]), Number(m[2])];
}

/**
 * The rule in TypeScript: the preflight's line for this version, or undefined when it may be
 * deployed. Constraints `>=X.Y.0-0` and `<X.Y.0-0` (a pre-release of X.Y.0 counts as X.Y), as
 * kubeVersionRule makes them; the apiserver tier checks that Helm's semverCompare agrees.
 */
export function kubeVersionProblem(version: string, rule: KubeVersionRule): string | undefined {
    const v = majorMinor(version);
    const bound = (constraint: string, op: ">=" | "<") => {
        const m = new RegExp(`^${op}(\\d+)\\.(\\d+)\\.0-0$`).exec(constraint);
        if (!m) throw new Error(`unsupported constraint ${constraint}`);
        const [major, minor] = [Number(m[1]), Number(m[2])];
        const atLeast = v[0] > major || (v[0] === major && v[1] >= minor);
        return op === ">=" ? atLeast : !atLeast;
    };
    if (!bound(rule.required, ">=")) return rule.tooOld.replace("%s", version);
    if (!rule.allowUntested && !bound(rule.tested, "<")) return rule.untested.replace("%s", version);
    return undefined;
}

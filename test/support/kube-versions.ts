// Versions as API servers report them, and what the rule of lib/kube-versions.ts says of each: the
// unit tier checks kubeVersionProblem on them, the apiserver tier Helm's semverCompare in the check.
export const KUBE_VERSION_CASES: Array<[string, "ok" | "too old" | "untested"]> = [
    ["v1.26.15", "too old"],
    ["v1.27.16", "too old"],
    ["v1.27.99-gke.100", "too old"],
    ["v1.28.0-rc.1", "ok"],
    ["v1.28.0", "ok"],
    ["v1.28.3+k3s1", "ok"],
    ["v1.30.4-eks-a737599", "ok"],
    ["v1.33.5-gke.1162000", "ok"],
    ["v1.37.0", "ok"],
    ["v1.37.2", "ok"],
    ["v1.38.0-alpha.1", "untested"],
    ["v1.38.0", "untested"],
    ["v2.0.0", "untested"],
];

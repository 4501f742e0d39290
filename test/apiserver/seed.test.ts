// The dev stack with the shared-volume seed's settings (test/support/seed.ts) against a real
// kube-apiserver: the program's kubernetes.io/dockerconfigjson pull Secret is accepted (the API
// server checks its .dockerconfigjson), and Helm renders the chart with the seed's values (home
// path, registry pull secret, sudo, environment, chart values) into objects the API server takes.
import { apiServerSuite } from "../support/apiserver-harness";
import { devStackObjects } from "../support/dev-objects";
import { rawStackConfig } from "../support/helpers";
import { SEED_REGISTRY_PASSWORD, seedOverrides } from "../support/seed";

const NS = "jhub-apiserver-seed";

apiServerSuite({
    stack: "dev",
    namespace: NS,
    overrides: {
        ...seedOverrides(),
        // The dev stack's storage, with cluster-wide objects of its own: the dev suite's driver and class live beside it.
        "jupyterhub:nfs": { ...(rawStackConfig("dev").nfs as object), installCsiDriver: false, homeStorageClass: "jupyterhub-home-seed" },
    },
    secrets: { registryPassword: SEED_REGISTRY_PASSWORD },
    expected: [
        ...devStackObjects(NS).filter(
            (o) =>
                ![
                    "CSIDriver/",
                    "ClusterRole/",
                    "ClusterRoleBinding/",
                    "DaemonSet/csi-nfs-node",
                    "Deployment/csi-nfs-controller",
                    "NetworkPolicy/csi-nfs-controller",
                    "ServiceAccount/csi-nfs",
                    "StorageClass/",
                ].some((p) => o.startsWith(p)),
        ),
        "StorageClass/jupyterhub-home-seed",
        "Secret/jupyterhub-registry",
    ],
});

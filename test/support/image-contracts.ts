// What the program relies on in each container image it runs or configures, read in the image's
// source at the pinned tag (docs/images.md says the same in prose, with the reasoning). Each fact
// names the file it comes from; a fact the source read here does not establish says so
// (`established: false`) instead of being guessed. test/program/images.test.ts checks the pod specs
// the program renders against these contracts.

/** Where a fact comes from: a repository, the commit or tag read, and the files. */
export interface Source {
    repo: string;
    /** A commit, or a tag with the commit it points to. */
    ref: string;
    files: string[];
}

/** A program or file the image provides, with where that is established. */
export interface Binary {
    /** Absolute path, when the source names it. */
    path?: string;
    /** The file (and line of reasoning) that shows it is in the image. */
    from: string;
    /** False when the source read here only makes it likely (e.g. another tool of the same package is used). */
    established: boolean;
}

export interface User {
    name: string;
    uid: number;
    /** Undefined when the image leaves it to a tool's choice (adduser's group). */
    gid?: number;
    from: string;
}

// --- MySQL ----------------------------------------------------------------------------------------

/**
 * mysql:8.4.7, built by docker-library/mysql at the commit that set MYSQL_VERSION 8.4.7-1.el9
 * (8.4/ did not change again until the 8.4.8 update, 9dc8e79).
 */
export const MYSQL = {
    image: "mysql:8.4.7",
    sources: [
        {
            repo: "docker-library/mysql",
            ref: "ddb031e406121b1a298563775d521c044452a508",
            files: ["8.4/Dockerfile.oracle", "8.4/docker-entrypoint.sh"],
        },
        {
            // The minimal server RPM the Dockerfile installs; read at the stored versions named, not at 8.4.7.
            repo: "mysql/mysql-server",
            ref: "18cbdca346996e4f81c3227ca5769ddfbdeac231 (mysql.spec.in); a3835c64773bb20257f54b6724bf24ea14078fbd (sql_initialize.cc)",
            files: ["packaging/rpm-docker/mysql.spec.in", "packaging/rpm-docker/my.cnf.in", "sql/sql_initialize.cc"],
        },
    ] satisfies Source[],
    /** Dockerfile.oracle: ENTRYPOINT ["docker-entrypoint.sh"], CMD ["mysqld"]. */
    entrypoint: ["docker-entrypoint.sh"],
    cmd: ["mysqld"],
    /** docker-entrypoint.sh _main: `if [ "${1:0:1}" = '-' ]; then set -- mysqld "$@"`: arguments that start with "-" go to mysqld. */
    optionsOnlyGoToMysqld: true,
    /** Dockerfile.oracle: groupadd --system --gid 999 mysql; useradd --system --uid 999 --gid 999 --home-dir /var/lib/mysql. */
    user: { name: "mysql", uid: 999, gid: 999, from: "8.4/Dockerfile.oracle (groupadd --gid 999, useradd --uid 999 --gid 999)" } as User,
    /**
     * Started as a uid other than 0, the entrypoint skips its `find ... -exec chown mysql` and the
     * `exec gosu mysql` step (docker_create_db_directories, _main): every directory it and mysqld
     * write must already be writable by that uid.
     */
    nonRootStart: "docker_create_db_directories chowns only when id -u is 0; _main re-executes through gosu only as root",
    /** DATADIR from `mysqld --verbose --help` (my.cnf datadir=/var/lib/mysql); the Dockerfile's VOLUME. */
    dataDir: "/var/lib/mysql",
    /** mysqld --initialize accepts a data directory holding only dot files and lost+found (sql/sql_initialize.cc). */
    dataDirMayHold: ["lost+found", ".*"],
    /**
     * Paths mysqld and the entrypoint write. /var/run/mysqld: the socket (Dockerfile: sed socket=/var/run/mysqld/mysqld.sock
     * into /etc/my.cnf) and the pid file (my.cnf.in pid-file=/var/run/mysqld/mysqld.pid); the Dockerfile makes it and
     * /var/lib/mysql mysql:mysql mode 1777. /tmp: kept writable for mysqld's temporary files (see below).
     */
    writablePaths: {
        "/var/lib/mysql": "data directory; image: mysql:mysql 1777 (a volume mounted there replaces it)",
        "/var/run/mysqld": "socket and pid file; image: mysql:mysql 1777",
        "/tmp": "mysqld's temporary files (tmpdir: no file read sets it; the server's default is not from this source)",
    } as Record<string, string>,
    /** The socket path the entrypoint, mysqld and the clients use (/etc/my.cnf [mysqld] and [client] socket=). */
    socket: "/var/run/mysqld/mysqld.sock",
    /** docker-entrypoint.sh docker_process_init_files: run only when $DATADIR/mysql does not exist. */
    initDir: "/docker-entrypoint-initdb.d",
    /** Extensions the entrypoint runs (anything else is "ignoring"); .sh is sourced unless executable. */
    initExtensions: [".sh", ".sql", ".sql.bz2", ".sql.gz", ".sql.xz", ".sql.zst"],
    /**
     * Environment the entrypoint reads. file_env makes each of the first five readable from
     * <NAME>_FILE (the value is `$(< file)`, trailing newlines dropped); NAME and NAME_FILE together is an error.
     */
    env: {
        fileEnv: ["MYSQL_ROOT_HOST", "MYSQL_DATABASE", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD"],
        plain: ["MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD", "MYSQL_INITDB_SKIP_TZINFO", "MYSQL_ONETIME_PASSWORD"],
        /** docker_verify_minimum_env: one of these on an empty data directory, or the entrypoint exits. */
        oneOfOnInit: ["MYSQL_ROOT_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD"],
    },
    /**
     * docker_init_database_dir runs `"$@" --initialize-insecure ...` and docker_temp_server_start
     * `"$@" --daemonize --skip-networking --socket=...`: the container's mysqld options apply at
     * initialisation and in the temporary server too.
     */
    argsReachInitAndTempServer: true,
    /**
     * An --init-file named in those options therefore reaches --initialize-insecure, the temporary
     * server and every start, read by mysqld as the container's uid: the file must be readable by
     * it and its statements must bear running more than once. (That --initialize runs the file is
     * mysqld's own behaviour, not established from the 8.4.7 source: docs/images.md.)
     */
    initFileRuns: ["--initialize-insecure", "temporary server", "every start"],
    /** No setcap in Dockerfile.oracle; the spec's %files set modes only (%attr), no %caps. */
    fileCapabilities: [] as string[],
    binaries: {
        "docker-entrypoint.sh": { path: "/usr/local/bin/docker-entrypoint.sh", from: "8.4/Dockerfile.oracle COPY", established: true },
        bash: { from: "docker-entrypoint.sh's #!/usr/bin/env bash", established: true },
        sh: { path: "/bin/sh", from: "Dockerfile.oracle RUN steps (run by /bin/sh -c)", established: true },
        mysqld: { path: "/usr/sbin/mysqld", from: "Dockerfile.oracle RUN mysqld --version; mysql.spec.in %files", established: true },
        mysql: { path: "/usr/bin/mysql", from: "Dockerfile.oracle RUN mysql --version; mysql.spec.in %files", established: true },
        mysqladmin: { path: "/usr/bin/mysqladmin", from: "docker-entrypoint.sh docker_temp_server_stop; mysql.spec.in %files", established: true },
        mysqldump: {
            path: "/usr/bin/mysqldump",
            from: "mysql.spec.in %files of the minimal server package (at the commit named, not at 8.4.7); docker-library/docs mysql/content.md runs mysqldump in the image",
            established: false,
        },
        mysql_tzinfo_to_sql: { path: "/usr/bin/mysql_tzinfo_to_sql", from: "docker-entrypoint.sh docker_setup_db", established: true },
        gosu: { path: "/usr/local/bin/gosu", from: "Dockerfile.oracle", established: true },
        awk: { from: "docker-entrypoint.sh mysql_get_config", established: true },
        find: { from: "Dockerfile.oracle microdnf install findutils", established: true },
        grep: { from: "Dockerfile.oracle RUN grep -F", established: true },
        sed: { from: "Dockerfile.oracle RUN sed -i", established: true },
        cat: { from: "docker-entrypoint.sh mysql_log (cat)", established: true },
        date: { from: "docker-entrypoint.sh mysql_log (date --rfc-3339)", established: true },
        ls: { from: "docker-entrypoint.sh (ls /docker-entrypoint-initdb.d/)", established: true },
        mkdir: { from: "Dockerfile.oracle RUN mkdir -p; docker-entrypoint.sh", established: true },
        rm: { from: "Dockerfile.oracle RUN rm -rf", established: true },
        // Coreutils: the Dockerfile and the entrypoint run mkdir, chown, chmod, tee, mktemp, dirname,
        // cat, date and ls, so the package is installed; these others are never named by the source.
        mv: { from: "coreutils (its mkdir, chmod, tee, mktemp are used by Dockerfile.oracle)", established: false },
        sort: { from: "coreutils (as mv)", established: false },
        tail: { from: "coreutils (as mv)", established: false },
        wc: { from: "coreutils (as mv)", established: false },
    } as Record<string, Binary>,
};

// --- NFS server -----------------------------------------------------------------------------------

/**
 * registry.k8s.io/e2e-test-images/volume/nfs:1.4, built from kubernetes/kubernetes
 * test/images/volume/nfs. The tag's own tree could not be read whole (the repository is over the
 * fetch limit and its VERSION file is not in the index); two stored versions of each file were
 * read. 1.4 was built for kubernetes#123362 (Feb 2024, `ulimit -n 65535` before rpc.statd) and
 * first used by kubernetes#123364; every fact below holds in both versions read.
 */
export const NFS_SERVER = {
    image: "registry.k8s.io/e2e-test-images/volume/nfs:1.4",
    sources: [
        {
            repo: "kubernetes/kubernetes",
            ref: "run_nfs.sh at 95f08499d652a6211121d8af35f470609217c730 (with ulimit -n 65535) and 3c51ac959a6b6ef66d766985ae41bb21d3c695de; Dockerfile at 121460defea7874f50c64bb8de51018a86c6eef3 and b86963fb41b938ec8ce36b22f0a893f339b1deed",
            files: ["test/images/volume/nfs/Dockerfile", "test/images/volume/nfs/run_nfs.sh", "test/images/volume/nfs/BASEIMAGE"],
        },
    ] satisfies Source[],
    /** Dockerfile: ENTRYPOINT ["/usr/local/bin/run_nfs.sh"], CMD ["/exports", "/"]. */
    entrypoint: ["/usr/local/bin/run_nfs.sh"],
    cmd: ["/exports", "/"],
    /** run_nfs.sh start(): `getopts "G:"`; the rest are directories to export. */
    options: { G: "a group id: every export is chmod 070 and chgrp <gid> (not a mode)" } as Record<string, string>,
    /** run_nfs.sh: each directory argument is appended to /etc/exports with these options. */
    exportOptions: "*(rw,fsid=0,insecure,no_root_squash)",
    /** fsid=0 marks the NFSv4 root: two directory arguments would both claim it (the default CMD exports "/" too). */
    oneExportOnly: true,
    /** No USER in the Dockerfile: runs as root. Mounts nfsd and starts rpc.nfsd: needs privilege. */
    runsAsRoot: true,
    needsPrivileged: "run_nfs.sh: mount -t nfsd nfsd /proc/fs/nfsd; /usr/sbin/rpc.nfsd",
    /** run_nfs.sh writes /etc/exports (>>) and copies /tmp/index.html into every export. */
    writesRootFilesystem: ["/etc/exports"],
    writesIntoExport: ["index.html"],
    /** Dockerfile EXPOSE 2049/tcp 20048/tcp; rpcbind (111) is started by run_nfs.sh when none answers. */
    ports: { nfs: 2049, mountd: 20048, rpcbind: 111 },
    fileCapabilities: [] as string[],
    binaries: {
        "run_nfs.sh": { path: "/usr/local/bin/run_nfs.sh", from: "Dockerfile ADD", established: true },
        bash: { from: "run_nfs.sh's #!/usr/bin/env bash", established: true },
        sh: { path: "/bin/sh", from: "Dockerfile RUN steps (run by /bin/sh -c)", established: true },
        mkdir: { from: "Dockerfile RUN mkdir -p /exports", established: true },
        chmod: { from: "Dockerfile RUN chmod 644 /tmp/index.html; run_nfs.sh", established: true },
        chgrp: { from: "run_nfs.sh (with -G)", established: true },
        rpcbind: { path: "/usr/sbin/rpcbind", from: "run_nfs.sh; nfs-utils' dependency", established: true },
        "rpc.mountd": { path: "/usr/sbin/rpc.mountd", from: "run_nfs.sh; Dockerfile installs nfs-utils", established: true },
        "rpc.nfsd": { path: "/usr/sbin/rpc.nfsd", from: "run_nfs.sh", established: true },
        exportfs: { path: "/usr/sbin/exportfs", from: "run_nfs.sh", established: true },
    } as Record<string, Binary>,
};

// --- csi-driver-nfs -------------------------------------------------------------------------------

const CSI_NFS_SOURCE: Source = {
    repo: "kubernetes-csi/csi-driver-nfs",
    ref: "v4.12.1 (c220ebec63f171bb2e56b3112f9756e1164e47b2)",
    files: [
        "Dockerfile",
        "cmd/nfsplugin/main.go",
        "pkg/nfs/nfs.go",
        "pkg/nfs/controllerserver.go",
        "deploy/v4.12.1/csi-nfs-controller.yaml",
        "deploy/v4.12.1/csi-nfs-node.yaml",
        "deploy/v4.12.1/csi-nfs-driverinfo.yaml",
        "deploy/v4.12.1/rbac-csi-nfs.yaml",
        "charts/v4.12.1/csi-driver-nfs/values.yaml",
        "charts/v4.12.1/csi-driver-nfs/templates/csi-nfs-controller.yaml",
    ],
};

/** A sidecar: its image at the tag csi-driver-nfs v4.12.1 pins, and the flags its main package defines. */
export interface Sidecar {
    image: string;
    source: Source;
    entrypoint: string[];
    /** Flags defined by the binary (flag.X("name") in its main package), plus the logging flag v (component-base logs). */
    flags: string[];
}

/** Every sidecar image is FROM gcr.io/distroless/static:latest with no USER (the Dockerfiles below). */
export const CSI_SIDECARS: Record<"provisioner" | "resizer" | "registrar" | "liveness", Sidecar> = {
    provisioner: {
        image: "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0",
        source: {
            repo: "kubernetes-csi/external-provisioner",
            ref: "v5.3.0 (1a7e9381439295969ad0336f1e21791f7dc3abe8)",
            files: ["Dockerfile", "cmd/csi-provisioner/csi-provisioner.go"],
        },
        entrypoint: ["/csi-provisioner"],
        flags: [
            "v",
            "csi-address",
            "leader-election",
            "leader-election-namespace",
            "extra-create-metadata",
            "feature-gates",
            "timeout",
            "retry-interval-max",
            "retry-interval-start",
            "worker-threads",
            "http-endpoint",
            "metrics-address",
            "kubeconfig",
            "volume-name-prefix",
            "default-fstype",
        ],
    },
    resizer: {
        image: "registry.k8s.io/sig-storage/csi-resizer:v1.14.0",
        source: {
            repo: "kubernetes-csi/external-resizer",
            ref: "v1.14.0 (c82d78bf133263d5aae6c53f05a466f00c79a7cc)",
            files: ["Dockerfile", "cmd/csi-resizer/main.go"],
        },
        entrypoint: ["/csi-resizer"],
        flags: [
            "v",
            "csi-address",
            "leader-election",
            "leader-election-namespace",
            "handle-volume-inuse-error",
            "feature-gates",
            "timeout",
            "retry-interval-max",
            "retry-interval-start",
            "workers",
            "http-endpoint",
            "metrics-address",
            "kubeconfig",
        ],
    },
    registrar: {
        image: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.15.0",
        source: {
            repo: "kubernetes-csi/node-driver-registrar",
            ref: "v2.15.0 (87d60a92e312fefe7965ccf2c2b88d6184e30077)",
            files: ["Dockerfile", "cmd/csi-node-driver-registrar/main.go"],
        },
        entrypoint: ["/csi-node-driver-registrar"],
        flags: ["v", "csi-address", "kubelet-registration-path", "plugin-registration-path", "health-port", "http-endpoint", "timeout", "mode"],
    },
    liveness: {
        image: "registry.k8s.io/sig-storage/livenessprobe:v2.17.0",
        source: {
            repo: "kubernetes-csi/livenessprobe",
            ref: "v2.17.0 (064a1024b6280bd5c57b936afee96e441208d7af)",
            files: ["Dockerfile", "cmd/livenessprobe/main.go"],
        },
        entrypoint: ["/livenessprobe"],
        flags: ["v", "csi-address", "probe-timeout", "health-port", "http-endpoint", "metrics-address", "metrics-path"],
    },
};

export const CSI_NFS = {
    image: "registry.k8s.io/sig-storage/nfsplugin:v4.12.1",
    source: CSI_NFS_SOURCE,
    /** Dockerfile: FROM registry.k8s.io/build-image/debian-base:bookworm-v1.0.6, installs mount and nfs-common; ENTRYPOINT ["/nfsplugin"]; no USER. */
    entrypoint: ["/nfsplugin"],
    /** cmd/nfsplugin/main.go flag.* definitions, plus klog's v (klog.InitFlags). */
    flags: [
        "v",
        "endpoint",
        "nodeid",
        "mount-permissions",
        "drivername",
        "working-mount-dir",
        "default-ondelete-policy",
        "vol-stats-cache-expire-in-minutes",
        "remove-archived-volume-path",
        "use-tar-command-in-snapshot",
    ],
    /** main.go: --working-mount-dir (default /tmp): where the controller mounts shares to make and remove directories. */
    workingMountDirDefault: "/tmp",
    /**
     * pkg/nfs/nfs.go: the controller advertises EXPAND_VOLUME; the node does not (no NodeExpandVolume).
     * pkg/nfs/controllerserver.go ControllerExpandVolume only checks the request and answers the
     * requested size: expansion records a capacity, it sets no quota.
     */
    controllerExpandsVolumes: true,
    nodeExpandsVolumes: false,
    /** Both deploy manifests run the nfs container privileged with SYS_ADMIN, /var/lib/kubelet/pods Bidirectional. */
    privileged: true,
    /** Containers of upstream's controller and node (deploy/v4.12.1/csi-nfs-controller.yaml, csi-nfs-node.yaml). */
    upstreamController: ["csi-provisioner", "csi-resizer", "csi-snapshotter", "liveness-probe", "nfs"],
    upstreamNode: ["liveness-probe", "node-driver-registrar", "nfs"],
    /** The sidecar images upstream pins for v4.12.1 (the same in the deploy manifests and the chart's values). */
    pins: {
        "csi-provisioner": "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0",
        "csi-resizer": "registry.k8s.io/sig-storage/csi-resizer:v1.14.0",
        "csi-snapshotter": "registry.k8s.io/sig-storage/csi-snapshotter:v8.3.0",
        "liveness-probe": "registry.k8s.io/sig-storage/livenessprobe:v2.17.0",
        "node-driver-registrar": "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.15.0",
        nfs: "registry.k8s.io/sig-storage/nfsplugin:v4.12.1",
    } as Record<string, string>,
    /** deploy/v4.12.1/rbac-csi-nfs.yaml: nfs-external-provisioner-role (without its snapshot.storage.k8s.io rules, see RBAC_NOT_GRANTED). */
    provisionerRules: [
        { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "patch", "delete"] },
        { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch", "update"] },
        { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["events"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
        { apiGroups: ["storage.k8s.io"], resources: ["csinodes"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
        { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
    ],
    /** deploy/v4.12.1/rbac-csi-nfs.yaml: nfs-external-resizer-role, bound to the controller's service account. */
    resizerRules: [
        { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "update", "patch"] },
        { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["persistentvolumeclaims/status"], verbs: ["update", "patch"] },
        { apiGroups: [""], resources: ["events"], verbs: ["list", "watch", "create", "update", "patch"] },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch", "create", "update", "patch"] },
    ],
    /**
     * Upstream's provisioner role also reads VolumeSnapshots and writes VolumeSnapshotContents: for
     * csi-snapshotter and for a claim whose dataSource is a snapshot (external-provisioner v5.3.0
     * pkg/controller/controller.go, VolumeSnapshots().Get). The program installs neither the
     * snapshot CRDs nor csi-snapshotter and creates no such claim.
     */
    rbacNotGranted: ["snapshot.storage.k8s.io"],
};

// --- Zero to JupyterHub 4.4.0 ---------------------------------------------------------------------

const Z2JH_SOURCE: Source = {
    repo: "jupyterhub/zero-to-jupyterhub-k8s",
    ref: "4.4.0 (5c5f5df751588a68a7781ead01d0f62e88e2e72f)",
    files: ["jupyterhub/values.yaml", "jupyterhub/files/hub/jupyterhub_config.py", "jupyterhub/templates/image-puller/_helpers-daemonset.tpl", "images/"],
};

/** The hub image, whose pod the program changes (extra volumes and mounts, extraConfig, resources). */
export const HUB = {
    image: "quay.io/jupyterhub/k8s-hub:4.4.0",
    sources: [{ ...Z2JH_SOURCE, files: ["images/hub/Dockerfile", "images/hub/requirements.txt", "jupyterhub/values.yaml"] }] satisfies Source[],
    /** images/hub/Dockerfile: adduser --uid 1000 jovyan; USER jovyan; the chart runs it as 1000:1000 with fsGroup 1000 (values.yaml hub.*SecurityContext). */
    user: {
        name: "jovyan",
        uid: 1000,
        gid: 1000,
        from: "images/hub/Dockerfile (adduser --uid 1000); values.yaml hub.containerSecurityContext runAsUser/runAsGroup 1000",
    } as User,
    entrypoint: ["tini", "--"],
    cmd: ["jupyterhub", "--config", "/usr/local/etc/jupyterhub/jupyterhub_config.py"],
    /** images/hub/requirements.txt: what the program's hub.config and extraConfig are written for. */
    packages: { jupyterhub: "5.5.0", "jupyterhub-kubespawner": "7.0.0", "jupyterhub-ldapauthenticator": "2.0.2" } as Record<string, string>,
};

/** The chart's sample user image (the default singleuser.image). */
export const SINGLEUSER_SAMPLE = {
    image: "quay.io/jupyterhub/k8s-singleuser-sample:4.4.0",
    sources: [{ ...Z2JH_SOURCE, files: ["images/singleuser-sample/Dockerfile"] }] satisfies Source[],
    /** images/singleuser-sample/Dockerfile: ENV NB_UID=1000 HOME=/home/jovyan; adduser --uid 1000 jovyan; USER jovyan. */
    user: { name: "jovyan", uid: 1000, from: "images/singleuser-sample/Dockerfile (adduser --uid 1000; the group is adduser's choice)" } as User,
    home: "/home/jovyan",
    entrypoint: ["tini", "--"],
    /** No start.sh: nothing in the image drops from root to a user or grants sudo. */
    rootStart: false,
    /** Debian (python:3.12-slim-bookworm): RUN steps run by /bin/sh -c; the chart's image puller runs /bin/sh -c in it. */
    shell: { path: "/bin/sh", from: "images/singleuser-sample/Dockerfile RUN steps", established: true } satisfies Binary,
};

/**
 * jupyter/docker-stacks images (quay.io/jupyter/*-notebook), tag 2025-11-03: built by the weekly
 * Monday run (.github/workflows/docker.yml, cron "0 3 * * 1") from main, whose images/ did not
 * change between 45abbce0 (2025-08-15) and 7da84bd (2025-11-03).
 */
export const DOCKER_STACKS = {
    /** The images the stacks name (Pulumi.prod.yaml); every one is built FROM docker-stacks-foundation. */
    images: ["quay.io/jupyter/scipy-notebook:2025-11-03", "quay.io/jupyter/pytorch-notebook:cuda12-2025-11-03"],
    imagePattern: /^quay\.io\/jupyter\/[a-z0-9-]+-notebook:(cuda1[0-9]-)?2025-11-03$/,
    sources: [
        {
            repo: "jupyter/docker-stacks",
            ref: "090b68feddafba73ec7c96fbcafc53592f467b80 (images/ as of 45abbce0)",
            files: [
                "images/docker-stacks-foundation/Dockerfile",
                "images/docker-stacks-foundation/start.sh",
                "images/base-notebook/Dockerfile",
                "images/base-notebook/start-singleuser.py",
            ],
        },
    ] satisfies Source[],
    /** docker-stacks-foundation/Dockerfile: ARG NB_USER="jovyan" NB_UID="1000" NB_GID="100"; useradd --uid 1000 --no-user-group (group users, 100). */
    user: { name: "jovyan", uid: 1000, gid: 100, from: "images/docker-stacks-foundation/Dockerfile (NB_UID=1000, NB_GID=100)" } as User,
    home: "/home/jovyan",
    /** ENTRYPOINT ["tini", "-g", "--", "start.sh"]; USER ${NB_UID}. */
    entrypoint: ["tini", "-g", "--", "start.sh"],
    /**
     * start.sh, when `id -u` is 0: usermod renames jovyan to NB_USER with home /home/NB_USER;
     * recreates the user when NB_UID or NB_GID differ; copies /home/jovyan to /home/NB_USER only
     * when that does not exist; chowns the home only with CHOWN_HOME=1|yes; with GRANT_SUDO=1|yes
     * writes "NB_USER ALL=(ALL) NOPASSWD:ALL" to /etc/sudoers.d/added-by-start-script; then
     * `exec sudo --preserve-env --set-home --user NB_USER <cmd>`. As any other uid it only warns
     * that GRANT_SUDO, NB_USER, NB_UID and NB_GID need a root start.
     */
    rootStart: true,
    rootStartEnv: ["NB_USER", "NB_UID", "NB_GID", "NB_GROUP", "GRANT_SUDO", "CHOWN_HOME", "CHOWN_HOME_OPTS", "CHOWN_EXTRA", "CHOWN_EXTRA_OPTS"],
    /** Values start.sh accepts as true. */
    yes: ["1", "yes"],
    /** Installed by the foundation's apt-get install: sudo (setuid root), tini. */
    sudo: { path: "sudo", from: "images/docker-stacks-foundation/Dockerfile apt-get install sudo", established: true } satisfies Binary,
    /** /bin/sh: docker-stacks' Dockerfiles run RUN steps with /bin/bash (SHELL); ubuntu:24.04's /bin/sh is outside this source. */
    shell: { path: "/bin/sh", from: "not named by docker-stacks' source (SHELL is /bin/bash)", established: false } satisfies Binary,
};

/** Images the chart runs whose pod specs the program does not change (beyond resources). Chart 4.4.0's values.yaml pins them. */
export const CHART_OWN_IMAGES: Array<{ image: string; role: string; runs: string }> = [
    { image: "quay.io/jupyterhub/configurable-http-proxy:5.2.0", role: "proxy (chp)", runs: "always" },
    { image: "registry.k8s.io/kube-scheduler:v1.30.14", role: "user scheduler", runs: "always (scheduling.userScheduler.enabled)" },
    { image: "registry.k8s.io/pause:3.10.1", role: "user placeholders, continuous image puller", runs: "image puller always; placeholders at replicas 0" },
    {
        image: "quay.io/jupyterhub/k8s-network-tools:4.4.0",
        role: "block-cloud-metadata init container of user pods (the chart's default singleuser.cloudMetadata.blockWithIptables: true)",
        runs: "never: the program sets singleuser.cloudMetadata.blockWithIptables to false (components/jupyterhub.ts)",
    },
    { image: "quay.io/jupyterhub/k8s-image-awaiter:4.4.0", role: "hook image awaiter", runs: "never: prePuller.hook.enabled is false" },
    { image: "quay.io/jupyterhub/k8s-secret-sync:4.4.0", role: "autohttps secret sync", runs: "never: proxy.https is not enabled" },
    { image: "traefik:v3.6.12", role: "autohttps", runs: "never: proxy.https is not enabled" },
];

/** z2jh 4.4.0 values.yaml defaults for user pods the program relies on when it does not set them. */
export const CHART_SINGLEUSER_DEFAULTS = { uid: 1000, fsGid: 100 };

/** The chart's image puller runs `/bin/sh -c 'echo "Pulling complete"'` in every user image as 65534 (_helpers-daemonset.tpl). */
export const IMAGE_PULLER_NEEDS = "/bin/sh";

// --- The directory: symas/openldap ------------------------------------------------------------

/**
 * symas/openldap:2.6.8-debian-12, built by Symas/containers from openldap/2.6/debian-12 (the
 * Dockerfile's label `2.6.8-debian-12-r${BUILD}`). The program runs its own slapd.conf and
 * command, never the Bitnami entrypoint (components/directory/slapd.ts, docs/images.md).
 */
export const SYMAS_OPENLDAP = {
    image: "symas/openldap:2.6.8-debian-12",
    sources: [
        { repo: "Symas/containers", ref: "d42fb5b283af3fc9bad27f160a895915a8e51c30", files: ["openldap/2.6/debian-12/Dockerfile"] },
        {
            repo: "Symas/containers",
            ref: "d25f457c24af3250a91dd8b05d3a526671b76d51",
            files: ["openldap/2.6/debian-12/rootfs/opt/bitnami/scripts/libopenldap.sh"],
        },
    ] satisfies Source[],
    /** Dockerfile: groupadd --gid 1001 slapd; useradd --system --gid 1001 --uid 1001 --groups root slapd; USER 1001. */
    user: { name: "slapd", uid: 1001, gid: 1001, from: "Dockerfile (useradd --uid 1001 --gid 1001 --groups root; USER 1001)" } as User,
    /** ... --groups root: uid 1001 is also in group 0, which owns the Bitnami folders (chmod g+rwX). */
    supplementaryGroups: [0],
    entrypoint: ["/opt/bitnami/scripts/openldap/entrypoint.sh"],
    cmd: ["/opt/bitnami/scripts/openldap/run.sh"],
    ports: [1389, 1636],
    /** Dockerfile: install_packages symas-openldap-clients symas-openldap-server (Symas's apt repository, release26). */
    packages: ["symas-openldap-clients", "symas-openldap-server"],
    /**
     * libopenldap.sh ldap_configure_ppolicy: `ldap_load_module "${LDAP_BASE_DIR}/lib/openldap" "ppolicy.so"`
     * (LDAP_BASE_DIR /opt/bitnami/openldap, which /opt/symas links to): ppolicy is a module there,
     * as back_mdb is (`olcModuleLoad: back_mdb.la`), and the program's `moduleload ppolicy` finds it.
     */
    modules: { dir: "/opt/bitnami/openldap/lib/openldap", loaded: ["back_mdb", "ppolicy"] },
};

/** The source files of every contract, for the doc check. */
export const ALL_CONTRACT_IMAGES = [
    MYSQL.image,
    NFS_SERVER.image,
    CSI_NFS.image,
    ...Object.values(CSI_SIDECARS).map((s) => s.image),
    HUB.image,
    SYMAS_OPENLDAP.image,
    SINGLEUSER_SAMPLE.image,
    ...DOCKER_STACKS.images,
    ...CHART_OWN_IMAGES.map((i) => i.image),
];

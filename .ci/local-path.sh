#!/usr/bin/env bash
# Sourced by .ci/node-cluster.sh once the real node runs: rancher/local-path-provisioner (the
# stand-in of images/local-path-provisioner) as its deploy/local-path-storage.yaml runs it, its
# volumes folders of one host folder shared by every node (its sharedFileSystemPath, hence
# ReadWriteMany as well as ReadWriteOnce), and its StorageClass LOCAL_PATH_CLASS, the cluster's
# default: reclaimPolicy Retain and a path made of the claim's namespace and name, so that a claim
# made again after a destroy finds its folder. The folder is JHUB_CLUSTER_DIR/volumes, removed with
# the cluster's state.
: "${JHUB_CLUSTER_DIR:?}"
export LOCAL_PATH_CLASS=${LOCAL_PATH_CLASS:-jhub-rwx}
export LOCAL_PATH_DIR="$JHUB_CLUSTER_DIR/volumes"
mkdir -p "$LOCAL_PATH_DIR"
lpp_image=$(bash .ci/images.sh list | awk -F'\t' '$1 == "local-path-provisioner" {print $2}')
helper_image=$(bash .ci/images.sh list | awk -F'\t' '$1 == "busybox" {print $2}')
# The engine suites' default class (.ci/engine-cluster.sh) is not made here: this one is the default.
kubectl apply -f - <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: local-path-storage}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner-service-account, namespace: local-path-storage}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: local-path-provisioner}
rules:
  - apiGroups: [""]
    resources: [nodes, persistentvolumeclaims, configmaps, pods, pods/log]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [persistentvolumes, pods]
    verbs: [get, list, watch, create, patch, update, delete]
  - apiGroups: [""]
    resources: [events]
    verbs: [create, patch]
  - apiGroups: [storage.k8s.io]
    resources: [storageclasses]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: local-path-provisioner}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: local-path-provisioner}
subjects: [{kind: ServiceAccount, name: local-path-provisioner-service-account, namespace: local-path-storage}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: local-path-config, namespace: local-path-storage}
data:
  config.json: |-
    {"sharedFileSystemPath": "$LOCAL_PATH_DIR"}
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "\$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "\$VOL_DIR"
  helperPod.yaml: |-
    apiVersion: v1
    kind: Pod
    metadata:
      name: helper-pod
    spec:
      containers:
      - name: helper-pod
        image: $helper_image
        imagePullPolicy: IfNotPresent
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: local-path-provisioner, namespace: local-path-storage}
spec:
  replicas: 1
  selector: {matchLabels: {app: local-path-provisioner}}
  template:
    metadata: {labels: {app: local-path-provisioner}}
    spec:
      serviceAccountName: local-path-provisioner-service-account
      containers:
        - name: local-path-provisioner
          image: $lpp_image
          imagePullPolicy: IfNotPresent
          command: [local-path-provisioner, --debug, start, --config, /etc/config/config.json]
          volumeMounts: [{name: config-volume, mountPath: /etc/config/}]
          env:
            - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
            - {name: CONFIG_MOUNT_PATH, value: /etc/config/}
      volumes: [{name: config-volume, configMap: {name: local-path-config}}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $LOCAL_PATH_CLASS
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
parameters:
  pathPattern: "{{ .PVC.Namespace }}/{{ .PVC.Name }}"
volumeBindingMode: Immediate
reclaimPolicy: Retain
YAML
kubectl -n local-path-storage rollout status deployment/local-path-provisioner --timeout=120s

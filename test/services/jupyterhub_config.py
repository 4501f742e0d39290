# JupyterHub config for the services suites, test/services/*.test.ts (not used by the
# deployment).
#
# A twin of the chart's own config, kept only where the journey (test/journey/journey.test.ts,
# the chart's jupyterhub_config.py in the real hub image on the real node) does not reach. Retired
# where it does (issue 29 D): the login with the right and a wrong password and the outsider's
# refusal, the login after a hub restart, the group-gated profile's refusal (this twin answered it
# with a synchronous 403; the chart sets slow_spawn_timeout to 0, so the real hub answers 202 and
# the spawn fails with the hook's message), and destroy-then-up with the same passwords
# (second-life.test.ts). Kept for what needs the hub's inside or faults a cluster cannot stage
# cheaply: slapd's ACLs and TLS (an unrelated CA refused), auth_state under the existing Secret's
# CryptKeeper keys, the hub user's grants in MySQL, the sync script's runs (1000 users), the
# groups' effects in the pod manifests KubeSpawner makes (GPU, fsGroup, mounts, group shares, the
# default profile), and the backup scripts restored into fresh servers. What it differs in from
# the chart's config (the order it applies hub.config in, extraEnv dropped) stays a difference
# there.
#
# Part 1 applies the chart values and the hub's existing Secret the program generates, the way
# z2jh 4.4.0's own jupyterhub_config.py and z2jh.py do: the Secret's values.yaml is merged over the
# chart values (_load_config); every top-level key of hub.config is a traitlets class name whose
# dict is merged into c[ClassName], except the secrets z2jh takes out of it; hub.db.url (hub.db.type
# mysql) becomes JupyterHub.db_url; cookie_secret and CryptKeeper.keys (";"-joined) come from the
# existing Secret's keys (get_secret_value reads existing-secret/ first). JUPYTERHUB_CRYPT_KEY is
# not set for the hub (the test removes it). The proxy token is the existing Secret's key
# hub.config.ConfigurableHTTPProxy.auth_token, which the hub's and the proxy's pods get as
# CONFIGPROXY_AUTH_TOKEN (components/hub/transforms.ts proxyTokenFromHubSecret); here the hub gets the
# same variable and hands it to the proxy it starts. The singleuser values become KubeSpawner
# config as z2jh maps them (the settings the program gives; see below).
#
# Part 2 is what the chart's templates and the cluster provide and this test replaces: addresses
# and ports on 127.0.0.1, the spawner (chart: KubeSpawner; here KubeSpawner that records the pod
# manifest instead of creating the pod), and an API token for the test itself.
#
# Part 3 runs hub.extraConfig, in the order of its keys, last: where z2jh runs it.
import json
import os

from kubernetes_asyncio.client import ApiClient
from kubespawner import KubeSpawner
import yaml

here = os.environ["JHUB_TEST_STATE"]
with open(os.path.join(here, "hub-values.json")) as f:
    # {"config": values.hub.config, "db": {"url": values.hub.db.url}, "extraConfig": ...}, as
    # hubValues() made them, with only service addresses, ports and the CA path swapped by the test.
    hub = json.load(f)
with open(os.path.join(here, "singleuser-values.json")) as f:
    # values.singleuser, merged over the chart's values.yaml as Helm merges them.
    singleuser = json.load(f)
with open(os.path.join(here, "hub-secret.json")) as f:
    # The existing Secret's data, as hubSecretData() made it.
    secret = json.load(f)
with open(os.path.join(here, "test-settings.json")) as f:
    t = json.load(f)


def merge(base, update):
    """z2jh's _merge_dictionaries: nested dicts merged, anything else replaced."""
    out = dict(base)
    for k, v in update.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


# --- part 1: the generated values and Secret, applied as the chart applies them -----------------
hub = merge(hub, yaml.safe_load(secret["values.yaml"])["hub"])
c.JupyterHub.cookie_secret = secret["hub.config.JupyterHub.cookie_secret"]
c.CryptKeeper.keys = secret["hub.config.CryptKeeper.keys"].split(";")
# As the pods' secretKeyRef gives it; ConfigurableHTTPProxy's default reads this variable.
os.environ["CONFIGPROXY_AUTH_TOKEN"] = secret["hub.config.ConfigurableHTTPProxy.auth_token"]
for app, cfg in hub["config"].items():
    if app == "JupyterHub":
        cfg.pop("proxy_auth_token", None)
        cfg.pop("cookie_secret", None)
    elif app == "ConfigurableHTTPProxy":
        cfg.pop("auth_token", None)
    elif app == "CryptKeeper":
        cfg.pop("keys", None)
    c[app].update(cfg)
c.JupyterHub.db_url = hub["db"]["url"]

# z2jh's singleuser -> KubeSpawner mapping, for the values the program sets (the chart's template
# for each: set when not null): the image, resources, default URL, profile list, and the volumes
# of dynamic home storage plus storage.extraVolumes/extraVolumeMounts, which z2jh gives KubeSpawner
# as dicts (extra volumes keyed by name, extra mounts by "<index>-<name>").
c.KubeSpawner.image = f'{singleuser["image"]["name"]}:{singleuser["image"]["tag"]}'
for trait, value in (
    ("cpu_limit", singleuser["cpu"].get("limit")),
    ("cpu_guarantee", singleuser["cpu"].get("guarantee")),
    ("mem_limit", singleuser["memory"].get("limit")),
    ("mem_guarantee", singleuser["memory"].get("guarantee")),
    ("uid", singleuser.get("uid")),
    ("fs_gid", singleuser.get("fsGid")),
    ("default_url", singleuser.get("defaultUrl")),
    ("profile_list", singleuser.get("profileList")),
    ("lifecycle_hooks", singleuser.get("lifecycleHooks")),
):
    if value is not None:
        setattr(c.KubeSpawner, trait, value)
storage = singleuser["storage"]
assert storage["type"] == "dynamic", storage["type"]
home = storage["dynamic"]["volumeNameTemplate"]
c.KubeSpawner.storage_pvc_ensure = True
c.KubeSpawner.storage_class = storage["dynamic"]["storageClass"]
c.KubeSpawner.storage_access_modes = storage["dynamic"]["storageAccessModes"]
c.KubeSpawner.storage_capacity = storage["capacity"]
volumes = {home: {"name": home, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}}
volume_mounts = {home: {"mountPath": storage["homeMountPath"], "name": home, "subPath": storage["dynamic"]["subPath"]}}
for volume in storage.get("extraVolumes") or []:
    volumes[volume["name"]] = volume
for index, mount in enumerate(storage.get("extraVolumeMounts") or []):
    volume_mounts[f"{index}-{mount['name']}"] = mount
c.KubeSpawner.volumes = volumes
c.KubeSpawner.volume_mounts = volume_mounts


# --- part 2: what the cluster and the chart's templates provide ---------------------------------
class RecordingSpawner(KubeSpawner):
    """KubeSpawner up to the pod: there is no cluster to create it in, so it records the manifest
    in spawns/ and fails the spawn. Everything before is KubeSpawner's own: the user options and
    profile (load_user_options, as its start does first) and the pod manifest."""

    async def start(self):
        await self.load_user_options()
        pod = await self.get_pod_manifest()
        async with ApiClient() as api:
            manifest = api.sanitize_for_serialization(pod)
        spawns = os.path.join(here, "spawns")
        os.makedirs(spawns, exist_ok=True)
        name = f"{len(os.listdir(spawns)) + 1:03d}-{self.user.name}.json"
        with open(os.path.join(spawns, name), "w") as f:
            json.dump({"user": self.user.name, "user_options": self.user_options, "pod": manifest}, f)
        raise RuntimeError(f"services test: pod manifest recorded in spawns/{name}, no cluster to create it in")

    async def poll(self):
        return 0

    async def stop(self, now=False):
        pass


c.JupyterHub.spawner_class = RecordingSpawner
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = t["proxyPort"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = t["hubPort"]
c.JupyterHub.pid_file = os.path.join(here, "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [t["chp"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{t['proxyApiPort']}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(here, "proxy.pid")
c.JupyterHub.services = [{"name": "login-test", "api_token": t["apiToken"]}]
c.JupyterHub.load_roles = [
    {
        "name": "login-test",
        "description": "the services tests read users, groups and auth state, and make users' tokens",
        # tokens and servers: a user's token for the user's own spawn, which holds no more than these.
        "scopes": ["list:users", "read:users", "admin:auth_state", "list:groups", "read:groups", "tokens", "servers"],
        "services": ["login-test"],
    }
]


# --- part 3: hub.extraConfig, as z2jh runs it ----------------------------------------------------
for key, config_py in sorted(hub.get("extraConfig", {}).items()):
    print(f"Loading extra config: {key}")
    exec(config_py)

# JupyterHub config for test/services/login.services.ts (not used by the deployment).
#
# Part 1 applies the chart values and the hub's existing Secret the program generates, the way
# z2jh 4.4.0's own jupyterhub_config.py and z2jh.py do: the Secret's values.yaml is merged over the
# chart values (_load_config); every top-level key of hub.config is a traitlets class name whose
# dict is merged into c[ClassName], except the secrets z2jh takes out of it; hub.db.url (hub.db.type
# mysql) becomes JupyterHub.db_url; cookie_secret and CryptKeeper.keys (";"-joined) come from the
# existing Secret's keys (get_secret_value reads existing-secret/ first). JUPYTERHUB_CRYPT_KEY is
# not set for the hub (the test removes it).
#
# Part 2 is what the chart's templates and the cluster provide and this test replaces: addresses
# and ports on 127.0.0.1, the proxy token (chart: generated and kept in its own Secret), a spawner
# that starts nothing (chart: KubeSpawner; the test is about login), and an API token for the
# test itself.
import json
import os

from jupyterhub.spawner import Spawner
import yaml

here = os.environ["JHUB_TEST_STATE"]
with open(os.path.join(here, "hub-values.json")) as f:
    # {"config": values.hub.config, "db": {"url": values.hub.db.url}}, as hubValues() made them,
    # with only service addresses, ports and the CA path swapped by the test.
    hub = json.load(f)
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
for app, cfg in hub["config"].items():
    if app == "JupyterHub":
        cfg.pop("cookie_secret", None)
    elif app == "CryptKeeper":
        cfg.pop("keys", None)
    c[app].update(cfg)
c.JupyterHub.db_url = hub["db"]["url"]


# --- part 2: what the cluster and the chart's templates provide ---------------------------------
class NoServerSpawner(Spawner):
    """Starts nothing: this test is about login, the database and the REST API."""

    async def start(self):
        raise RuntimeError("the services test never starts user servers")

    async def poll(self):
        return 0

    async def stop(self, now=False):
        pass


c.JupyterHub.spawner_class = NoServerSpawner
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = t["proxyPort"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = t["hubPort"]
c.JupyterHub.pid_file = os.path.join(here, "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [t["chp"]]
c.ConfigurableHTTPProxy.auth_token = t["proxySecretToken"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{t['proxyApiPort']}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(here, "proxy.pid")
c.JupyterHub.services = [{"name": "login-test", "api_token": t["apiToken"]}]
c.JupyterHub.load_roles = [
    {
        "name": "login-test",
        "description": "the services test reads users and their auth state",
        "scopes": ["list:users", "read:users", "admin:auth_state"],
        "services": ["login-test"],
    }
]

# JupyterHub for the sgz dashboards: one Voila server per user, each connecting to PostgreSQL as that user.
# Start it with `make hub` (or `jupyterhub -f deploy/jupyterhub_config.py`); settings come from the environment:
#
#   SGZ_HUB_ACCESS        the `sgz access` file (users and their login roles), applied with `sgz access apply`
#   SGZ_HUB_PASSWORDS     YAML file `login: argon2 hash` for PasswordFileAuthenticator (`sgz hub password`;
#                         or replace it by PAM, LDAP or OAuth, see README)
#   SGZ_HUB_PGPASS        pgpass file of every login's database password, mode 600, read by the Hub only:
#                         each spawn gets its own user's lines in a pgpass file of its own
#   SGZ_HUB_DATABASE_URL  PostgreSQL URL; each user's server uses it with the user name set to their login
#   SGZ_HUB_SPAWNER       simple (default: every server as this system account) or system (one system account
#                         per login, the Hub run as root: LocalProcessSpawner)
#   SGZ_HUB_IP, SGZ_HUB_PORT          where browsers reach the Hub (default 127.0.0.1:8000)
#   SGZ_HUB_API_PORT, SGZ_HUB_PROXY_API_PORT   the Hub's and the proxy's internal ports (default 8081, 8001)
#   SGZ_HUB_STATE_DIR     the Hub's own database and cookie secret (default deploy/state)
#   SGZ_HUB_HOST_NAMES    extra host names the browsers use (the dashboards refuse other Host headers)
#   SGZ_HUB_POOL_SIZE     preheated kernels per dashboard and user (default 1, as `sgz dashboard`)
#   SGZ_DASHBOARD_AS_OF   the dashboards' date (default today)
import os
import sys
from pathlib import Path

from sgzlib.dashboards import hub
from sgzlib.errors import SgzError

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)

DEPLOY = Path(__file__).resolve().parent
env = os.environ


def required(name: str) -> str:
    if not env.get(name):
        sys.exit(f"缺少环境变量 {name}：见 README「多用户看板（JupyterHub）」")
    return env[name]


access_file = required("SGZ_HUB_ACCESS")
database_url = required("SGZ_HUB_DATABASE_URL")
password_file = required("SGZ_HUB_PASSWORDS")
pgpass_store = required("SGZ_HUB_PGPASS")
spawner = env.get("SGZ_HUB_SPAWNER", "simple")
try:
    users = hub.logins(access_file)
    user_urls = {login: hub.user_database_url(database_url, login) for login in users}
    hub.read_passwords(password_file, users)  # checked now, not at the first login
    hub.read_pgpass(pgpass_store, users)
    if spawner not in ("simple", "system"):
        raise SgzError(f"SGZ_HUB_SPAWNER 应为 simple 或 system，而不是「{spawner}」")
except SgzError as exc:
    sys.exit(f"多用户看板未启动：{exc}")
state = Path(env.get("SGZ_HUB_STATE_DIR", DEPLOY / "state"))
state.mkdir(parents=True, exist_ok=True, mode=0o700)

# Where browsers connect: loopback unless the station network is meant to reach it (then put TLS in front).
c.JupyterHub.bind_url = f"http://{env.get('SGZ_HUB_IP', '127.0.0.1')}:{env.get('SGZ_HUB_PORT', '8000')}/"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env.get("SGZ_HUB_API_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.JupyterHub.template_vars = {"announcement_login": "社工站看板：请用本人账号登录"}

# The proxy: configurable-http-proxy installed by `npm ci --prefix deploy` (version pinned in package-lock.json).
c.ConfigurableHTTPProxy.command = [str(DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env.get('SGZ_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")

# Who may log in: exactly the users of the access file, each with their own password.
c.JupyterHub.authenticator_class = hub.PasswordFileAuthenticator
c.PasswordFileAuthenticator.password_file = password_file
c.Authenticator.allowed_users = set(users)
c.Authenticator.admin_users = set()

# Each user's server: the sgz Voila with the user's own database role and only that role's password (a pgpass
# file written for the spawn from the Hub's store, removed when it stops). "simple": as this same system account;
# "system": as the system account named like the login (the Hub runs as root; LocalProcessSpawner).
c.JupyterHub.spawner_class = "simple" if spawner == "simple" else "localprocess"
system = spawner == "system"
c.Spawner.pre_spawn_hook = hub.pre_spawn(pgpass_store, state, users, system)
c.Spawner.post_stop_hook = hub.post_stop(state, system)
c.Spawner.cmd = [sys.executable, "-m", "sgzlib.dashboards.hub"]
c.Spawner.args = []
c.Spawner.default_url = "/voila/render/progress.ipynb"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "users" / "{username}")
# Nothing of the Hub's own credentials passes on (no PGPASSFILE, PGPASSWORD, SGZ_HUB_PGPASS, SGZ_HUB_PASSWORDS).
c.Spawner.env_keep = ["PATH", "PYTHONPATH", "LANG", "LC_ALL", "JUPYTER_PATH", "JUPYTER_DATA_DIR", "IPYTHONDIR",
                      hub.POOL_ENV, hub.LOG_LEVEL_ENV, hub.HOST_NAMES_ENV, "SGZ_DASHBOARD_AS_OF",
                      "SGZ_DASHBOARD_MAX_KERNELS", "SGZ_DASHBOARD_QUEUE_SECONDS"]
c.Spawner.environment = {"SGZ_DATABASE_URL": lambda spawner: user_urls[spawner.user.name],
                         "PGPASSFILE": lambda spawner: str(hub.pgpass_path(state, spawner.user.name, system))}
# Idle servers are not culled by the Hub; Voila stops the kernels of closed pages itself.

"""The ansible role: lint, syntax, its supervisor, and a real run against localhost.

The real run installs into a scratch prefix as the current (unprivileged) user with
`hanami_rt_service_manager: none`, on a free 127.0.0.1 port, then checks /readyz and a login,
runs the playbook again (changed=0), and stops the server through the role. Whatever fails, the
server is stopped at the end.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.deploy.support import ANSIBLE_DIR, ROLE_DIR, tool
from tests.e2e.support import free_port

SUPERVISOR = ROLE_DIR / "files" / "hanami-rt-supervise.py"
RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=ANSIBLE_DIR, env=env, capture_output=True, text=True, timeout=600
    )


def test_ansible_lint_production_profile(ansible_env: dict[str, str]) -> None:
    done = run(
        [tool("ansible-lint"), "--offline", "--profile", "production", str(ANSIBLE_DIR)],
        ansible_env,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_syntax_check(ansible_env: dict[str, str]) -> None:
    done = run(
        [
            tool("ansible-playbook"),
            "--syntax-check",
            "-i",
            "inventory.example.yml",
            "site.yml",
        ],
        ansible_env,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the supervisor used with hanami_rt_service_manager: none ------------------------------------


def supervise(tmp_path: Path, action: str, *command: str) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        str(SUPERVISOR),
        "--pid-file",
        str(tmp_path / "run" / "x.pid"),
        "--log-file",
        str(tmp_path / "x.log"),
        "--workdir",
        str(tmp_path),
        "--stop-timeout",
        "5",
        action,
    ]
    if command:
        argv += ["--", *command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def wait_for(predicate: Callable[[], bool], what: str, deadline_s: float = 30) -> None:
    end = time.monotonic() + deadline_s
    while not predicate():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_supervisor_restarts_a_failed_command_and_stops_it(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    counter = tmp_path / "runs"
    # Fails on its first run, then stays up; the supervisor must restart it once.
    script = (
        "import pathlib, sys, time\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "n = int(p.read_text()) if p.exists() else 0\n"
        "p.write_text(str(n + 1))\n"
        "sys.exit(3) if n == 0 else time.sleep(120)\n"
    )
    command = (sys.executable, "-c", script, str(counter))
    try:
        started = supervise(tmp_path, "start", *command)
        assert started.returncode == 0, started.stderr
        assert started.stdout.startswith("started pid ")
        wait_for(lambda: counter.exists() and counter.read_text() == "2", "the restart")
        again = supervise(tmp_path, "start", *command)
        assert again.stdout.startswith("running pid "), again.stdout
        assert supervise(tmp_path, "status").returncode == 0
        stopped = supervise(tmp_path, "stop")
        assert stopped.stdout.startswith("stopped pid "), stopped.stdout + stopped.stderr
        assert supervise(tmp_path, "status").returncode == 3
        assert not (tmp_path / "run" / "x.pid").exists()
        log = (tmp_path / "x.log").read_text()
        assert "exited with status 3" in log and "restarting in 1 s" in log
    finally:
        supervise(tmp_path, "stop")


# --- a real run against localhost ----------------------------------------------------------------


@dataclass
class Deployment:
    prefix: Path
    port: int
    password: str
    vars_file: Path
    inventory: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def path(self, relative: str) -> Path:
        return self.prefix / relative

    @property
    def pid_file(self) -> Path:
        return self.path("run/hanami-rt/hanami-rt.pid")

    @property
    def log_file(self) -> Path:
        return self.path("var/log/hanami-rt/hanami-rt.log")

    def playbook(self, *extra: str) -> tuple[dict[str, int], str]:
        """Run site.yml; the PLAY RECAP numbers of localhost and the whole output."""
        done = run(
            [
                tool("ansible-playbook"),
                "-i",
                str(self.inventory),
                "site.yml",
                "-e",
                f"@{self.vars_file}",
                *extra,
            ],
            self.env,
        )
        output = done.stdout + done.stderr
        log = self.log_file.read_text() if self.log_file.exists() else "(no server log)"
        assert done.returncode == 0, f"{output}\n--- server log ---\n{log[-4000:]}"
        match = RECAP.search(done.stdout)
        assert match is not None, output
        counts = {k: int(v) for k, v in match.groupdict().items() if k != "host"}
        return counts, output

    def stop(self) -> None:
        """Stop the server whatever state the test left it in."""
        ctl = self.path("opt/hanami-rt/bin/hanami-rtctl")
        if ctl.exists():
            subprocess.run([str(ctl), "stop"], capture_output=True, timeout=180)
        if not self.pid_file.exists():
            return
        pid = int(self.pid_file.read_text())
        try:  # a stale pid file may name an unrelated process by now
            if b"hanami-rt-supervise" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                return
        except OSError:
            return
        children = Path(f"/proc/{pid}/task/{pid}/children")
        kids = [int(p) for p in children.read_text().split()] if children.exists() else []
        for victim in [*kids, pid]:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def deployment(
    tmp_path: Path, hanami_wheel: Path, ansible_env: dict[str, str]
) -> Iterator[Deployment]:
    prefix = tmp_path / "root"
    port = free_port()
    password = "pw-" + secrets.token_urlsafe(12) + ' "quoted"'
    variables = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "ansible_become": False,
        "hanami_rt_prefix": str(prefix),
        "hanami_rt_create_user": False,
        "hanami_rt_user": pwd.getpwuid(os.getuid()).pw_name,
        "hanami_rt_group": grp.getgrgid(os.getgid()).gr_name,
        "hanami_rt_service_manager": "none",
        "hanami_rt_wheel": str(hanami_wheel),
        "hanami_rt_python": sys.executable,
        "hanami_rt_system_packages": [],  # no apt/dnf: this Python has venv
        "hanami_rt_port": port,
        "hanami_rt_admin_user": "root-admin",
        "hanami_rt_admin_password": password,
        "hanami_rt_ready_delay": 0.5,
        "hanami_rt_ready_retries": 360,
        "hanami_rt_stop_timeout": 60,
        # The optional parts too, written into the prefix (nginx itself is not installed).
        "hanami_rt_nginx_enabled": True,
        "hanami_rt_nginx_install": False,
        "hanami_rt_nginx_manage_service": False,
        "hanami_rt_prometheus_snippet_enabled": True,
        "hanami_rt_prometheus_target": f"127.0.0.1:{port}",
    }
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(variables))
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[hanami_rt]\nlocalhost\n")
    deployed = Deployment(prefix, port, password, vars_file, inventory, ansible_env)
    try:
        yield deployed
    finally:
        deployed.stop()


def check_with_promtool(snippet: Path) -> None:
    """The snippet's job is valid Prometheus configuration (when promtool is at hand; its job
    goes into a main file, as older promtools do not know scrape_config_files)."""
    jobs = yaml.safe_load(snippet.read_text())["scrape_configs"]
    assert [job["job_name"] for job in jobs] == ["hanami-rt"]
    promtool = shutil.which("promtool")
    if promtool is None:
        return  # optional extra; the Debian package 'prometheus' has it
    main = snippet.parent / "prometheus.yml"
    main.write_text(yaml.safe_dump({"scrape_configs": jobs}))
    done = subprocess.run([promtool, "check", "config", str(main)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def login(url: str, user: str, password: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/token", json={"user_id": user, "password": password}, timeout=30)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_playbook_installs_runs_is_idempotent_and_stops(deployment: Deployment) -> None:
    counts, output = deployment.playbook()
    assert counts["failed"] == 0 and counts["changed"] > 0, output

    ready = httpx.get(f"{deployment.url}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    token = login(deployment.url, "root-admin", deployment.password)
    assert token.status_code == 200, token.text
    assert token.json()["role"] == "admin" and token.json()["token"]
    assert login(deployment.url, "root-admin", "wrong").status_code == 401

    key = deployment.path("etc/hanami-rt/jwt.key")
    assert key.stat().st_mode & 0o777 == 0o600
    key_before = key.read_bytes()
    assert len(key_before.strip()) == 128
    config = deployment.path("etc/hanami-rt/hanami-rt.toml")
    assert config.stat().st_mode & 0o777 == 0o640
    server_pid = deployment.pid_file.read_text()

    nginx = deployment.path("etc/nginx/conf.d/hanami-rt.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx
    assert f"server 127.0.0.1:{deployment.port};" in nginx
    for upload_path in ("location /v1/uploads {", "location = /v1/checkpoints {"):
        block = nginx.split(upload_path, 1)[1].split("}", 1)[0]  # files up to max_upload_bytes
        assert "client_max_body_size 4294967296;" in block, block
        assert "proxy_request_buffering off;" in block, block
    certificate = deployment.path("etc/hanami-rt/tls/hanami-rt.crt")
    assert certificate.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert deployment.path("etc/hanami-rt/tls/hanami-rt.key").stat().st_mode & 0o777 == 0o600
    snippet = deployment.path("etc/prometheus/scrape_configs/hanami-rt.yml")
    assert f'"127.0.0.1:{deployment.port}"' in snippet.read_text()
    check_with_promtool(snippet)

    counts, output = deployment.playbook()
    assert counts["changed"] == 0, f"the second run changed something:\n{output}"
    assert key.read_bytes() == key_before, "the JWT key was overwritten"
    assert deployment.pid_file.read_text() == server_pid, "the second run restarted the server"
    assert httpx.get(f"{deployment.url}/readyz", timeout=10).status_code == 200

    counts, output = deployment.playbook("-e", "hanami_rt_service_state=stopped")
    assert counts["changed"] == 1, output
    assert not deployment.pid_file.exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{deployment.url}/readyz", timeout=5)
    assert "Application shutdown complete" in deployment.log_file.read_text()


# --- the systemd unit, rendered with the role's defaults ------------------------------------------

RENDER_UNIT = """\
- name: Render the systemd unit of the role
  hosts: localhost
  gather_facts: false
  vars_files:
    - {role}/defaults/main.yml
    - {role}/vars/main.yml
  tasks:
    - name: Render the unit
      ansible.builtin.template:
        src: {role}/templates/hanami-rt.service.j2
        dest: "{{{{ hanami_rt_unit_file }}}}"
        mode: "0644"
"""


def test_systemd_unit_passes_systemd_analyze(tmp_path: Path, ansible_env: dict[str, str]) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed; the unit is rendered but not verified")
    prefix = tmp_path / "root"
    (prefix / "etc/systemd/system").mkdir(parents=True)
    playbook = tmp_path / "render.yml"
    playbook.write_text(RENDER_UNIT.format(role=ROLE_DIR))
    done = run(
        [
            tool("ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            "-e",
            f"hanami_rt_prefix={prefix}",
            str(playbook),
        ],
        ansible_env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    unit = prefix / "etc/systemd/system/hanami-rt.service"
    text = unit.read_text()
    for line in (
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        f"ReadWritePaths={prefix}/var/lib/hanami-rt {prefix}/var/cache/hanami-rt",
        "PrivateTmp=yes",
    ):
        assert line in text.splitlines(), line
    server = prefix / "opt/hanami-rt/venv/bin/hanami-rt"  # verify wants ExecStart to exist
    server.parent.mkdir(parents=True)
    server.write_text("#!/bin/sh\n")
    server.chmod(0o755)
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr

"""What `vigil bench executor` runs beside us: nginx, blackbox_exporter, wrk, a bench vhost.

Installed from Debian's packages when missing (the benchmark runs as root on a fresh
machine); each started on a free loopback port with a tiny config in a temporary directory,
and stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

NGINX_CONF = """
worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    keepalive_timeout 0;  # the server closes: TIME_WAIT stays on its side, not ours
    client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
    server {{
{listens}
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""

BLACKBOX_CONF = """
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_package(binary: str, package: str) -> str:
    """The path of `binary`, installing `package` from Debian's packages if it is missing."""
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["apt-get", "install", "-y", "-q", package],
        check=True,
        env=env,
        capture_output=True,
        timeout=600,
    )
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    if not found:
        raise RuntimeError(f"{package} installed but {binary} not found")
    return found


def wait_for_port(port: int, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not open port {port} within {timeout} s")


@contextlib.contextmanager
def _process(argv: list[str], port: int, what: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, what)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def nginx(ports: int = 16) -> Iterator[list[str]]:
    """A local nginx answering 200 "ok" on every path; yields its base URLs.

    Several ports, as a real executor checks many sites: thousands of new connections a
    second to one address and port exhaust the ephemeral ports (each closed connection
    holds its 4-tuple in TIME_WAIT), which measures the kernel, not the checker.
    """
    binary = ensure_package("nginx", "nginx")
    numbers = [free_port() for _ in range(ports)]
    listens = "\n".join(f"        listen 127.0.0.1:{p} backlog=4096;" for p in numbers)
    with tempfile.TemporaryDirectory(prefix="vigil-nginx-") as tmp:
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=tmp, listens=listens))
        argv = [binary, "-c", str(conf), "-p", tmp, "-g", "daemon off;"]
        with _process(argv, numbers[0], "nginx"):
            yield [f"http://127.0.0.1:{p}/" for p in numbers]


@contextlib.contextmanager
def blackbox_exporter() -> Iterator[str]:
    """Prometheus blackbox_exporter (Debian's package); yields its base URL."""
    binary = ensure_package("prometheus-blackbox-exporter", "prometheus-blackbox-exporter")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="vigil-blackbox-") as tmp:
        conf = Path(tmp) / "blackbox.yml"
        conf.write_text(BLACKBOX_CONF)
        argv = [binary, f"--config.file={conf}", f"--web.listen-address=127.0.0.1:{port}"]
        with _process(argv, port, "blackbox_exporter"):
            yield f"http://127.0.0.1:{port}"


WRK_SCRIPT = """
paths = {{{paths}}}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[counter % #paths + 1])
end
"""


def wrk_rate(
    base: str,
    paths: list[str],
    seconds: int,
    connections: int = 64,
    what: str = "blackbox_exporter",
) -> float:
    """Requests a second wrk drives at `base`, cycling through `paths` (Debian's wrk); any
    answer that is not 2xx or 3xx fails the run (`what` names the server)."""
    binary = ensure_package("wrk", "wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT.format(paths=", ".join(f'"{p}"' for p in paths)))
        script.flush()
        done = subprocess.run(
            [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name, base],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if not match:
        raise RuntimeError(f"wrk said: {done.stdout[-500:]}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if errors:
        raise RuntimeError(
            f"{what} failed {errors.group(1)} requests of {match.group(1)}/s: {done.stdout[-300:]}"
        )
    return float(match.group(1))


@contextlib.contextmanager
def vhost() -> Iterator[str]:
    """A RabbitMQ vhost of the benchmark's own, deleted afterwards; yields its name."""
    name = f"vigil-bench-{uuid.uuid4().hex[:8]}"
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([ctl, "-q", "add_vhost", name], check=True, capture_output=True, timeout=60)
    subprocess.run(
        [ctl, "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    try:
        yield name
    finally:
        subprocess.run([ctl, "-q", "delete_vhost", name], capture_output=True, timeout=60)


def rss_bytes(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

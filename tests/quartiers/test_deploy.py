"""The production files in ``deploy/`` parse with the tools that will read them.

Each check runs the real tool (Caddy, nginx, systemd-analyze) and is skipped only when that
binary is not installed here, saying so. Each also shows that the tool refuses a broken copy,
so a pass means the file was really read.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.certificates import self_signed_certificate

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
INSTALL_DIR = "/srv/quartiers"
CERTIFICATE = "/etc/letsencrypt/live/paquis.example/fullchain.pem"
CERTIFICATE_KEY = "/etc/letsencrypt/live/paquis.example/privkey.pem"
UNITS = (
    "quartiers.service",
    "quartiers-worker.service",
    "quartiers-backup.service",
    "quartiers-backup.timer",
)
TOOL_TIMEOUT = 60


def require(binary: str) -> str:
    path = shutil.which(binary) or next(
        (
            f"{folder}/{binary}"
            for folder in ("/usr/sbin", "/sbin")
            if Path(folder, binary).exists()
        ),
        None,
    )
    if path is None:
        pytest.skip(f"{binary} is not installed on this machine")
    return path


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False, env=env
    )


def caddy_env(home: Path) -> dict[str, str]:
    """Caddy keeps its state under the home folder: a temporary one."""
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
    }


def test_the_caddy_example_is_valid_and_proxies_to_the_server(tmp_path: Path) -> None:
    caddy = require("caddy")
    # Given the Caddy example as shipped
    source = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy 127.0.0.1:8000" in source

    # When Caddy validates it
    result = run(
        caddy,
        "validate",
        "--config",
        str(DEPLOY / "Caddyfile"),
        "--adapter",
        "caddyfile",
        env=caddy_env(tmp_path),
    )

    # Then it is valid
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr

    # And a broken copy is refused, so the file was really read
    broken = tmp_path / "Caddyfile"
    broken.write_text(source.replace("reverse_proxy", "reverse_proxi"), encoding="utf-8")
    refused = run(
        caddy,
        "validate",
        "--config",
        str(broken),
        "--adapter",
        "caddyfile",
        env=caddy_env(tmp_path),
    )
    assert refused.returncode != 0


def nginx_test(nginx: str, folder: Path, site: str) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``site`` inside a minimal main configuration, all files in ``folder``."""
    (folder / "site.conf").write_text(site, encoding="utf-8")
    main = folder / "nginx.conf"
    main.write_text(
        f"pid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\n"
        "events {}\n"
        f"http {{\n    access_log off;\n    include {folder}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return run(nginx, "-t", "-c", str(main), "-p", str(folder))


def test_the_nginx_example_passes_nginx_t_with_tls_and_forwards_host(tmp_path: Path) -> None:
    nginx = require("nginx")
    # Given the nginx example, its Let's Encrypt paths pointed at a self-signed certificate
    source = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    certificate, key = self_signed_certificate(tmp_path, "paquis.example")
    site = source.replace(CERTIFICATE, str(certificate)).replace(CERTIFICATE_KEY, str(key))
    assert site != source

    # When nginx tests it
    result = nginx_test(nginx, tmp_path, site)

    # Then it is accepted, serves TLS, and forwards what the server needs
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "listen 443 ssl" in source
    for header in ("Host $host", "X-Forwarded-For", "X-Forwarded-Proto $scheme"):
        assert f"proxy_set_header {header}" in source
    assert "proxy_pass http://127.0.0.1:8000;" in source

    # And a broken copy is refused
    refused = nginx_test(nginx, tmp_path, site.replace("proxy_pass", "proxy_passe"))
    assert refused.returncode != 0
    assert "proxy_passe" in refused.stderr


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    analyze = require("systemd-analyze")
    # Given the units, installed in a folder that has the quartiers command they start
    command = tmp_path / "srv" / ".venv" / "bin" / "quartiers"
    command.parent.mkdir(parents=True)
    command.write_text("#!/bin/sh\n", encoding="utf-8")
    command.chmod(command.stat().st_mode | stat.S_IXUSR)
    units = []
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALL_DIR, str(tmp_path / "srv")))
        units.append(str(tmp_path / name))

    # When systemd-analyze verifies them
    result = run(analyze, "verify", *units)

    # Then they are accepted without a single remark
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr

    # And each service starts the command it is named for
    services = {
        name: (DEPLOY / name).read_text(encoding="utf-8") for name in UNITS if "service" in name
    }
    assert f"ExecStart={INSTALL_DIR}/.venv/bin/quartiers serve\n" in services["quartiers.service"]
    assert (
        f"ExecStart={INSTALL_DIR}/.venv/bin/quartiers worker\n"
        in services["quartiers-worker.service"]
    )

    # And a unit with a misspelt key is not accepted silently
    broken = tmp_path / "broken.service"
    broken.write_text(
        (tmp_path / "quartiers.service").read_text().replace("ExecStart=", "ExecStartt=")
    )
    refused = run(analyze, "verify", str(broken))
    assert "ExecStartt" in refused.stderr

"""The files in deploy/ work as shipped: the systemd units pass ``systemd-analyze verify``,
the nginx configuration passes ``nginx -t`` (with a certificate made here), the logrotate
file parses, gunicorn's settings file names real settings and the environment file names
only settings the application reads. Locally a missing tool skips with its apt package named;
under CI=true (.ci/run installs them) a missing tool fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
UNITS = ("petition-flow-web.service", "petition-flow-scheduler.service")


def tool(name: str, package: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.exists()), None)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is missing under CI: .ci/run installs the Debian package {package}")
    pytest.skip(f"{name} is not installed (apt-get install {package}); the deploy/ check is skipped")


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    analyze = tool("systemd-analyze", "systemd")
    for binary in ("gunicorn", "petition-flow"):
        if not (BIN / binary).exists():
            if os.environ.get("CI") == "true":
                pytest.fail(f"{BIN / binary} is missing: .ci/run installs the [server] extra")
            pytest.skip(f"{binary} is not installed in this venv (pip install -e '.[server]')")
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        assert "/opt/petition-flow/venv/bin/" in text
        # The units name the installed venv; here ExecStart must point at binaries that exist.
        (tmp_path / unit).write_text(text.replace("/opt/petition-flow/venv/bin/", f"{BIN}/"),
                                     encoding="utf-8")
    result = subprocess.run([analyze, "verify", *(str(tmp_path / u) for u in UNITS)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # Unknown keys are only warnings for systemd: none may appear.
    assert "Unknown" not in result.stderr and "ignoring" not in result.stderr, result.stderr


def test_the_units_share_one_environment_file_a_service_user_and_the_installed_package():
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        assert "EnvironmentFile=/etc/petition-flow/petition-flow.env" in text
        assert "User=petition-flow" in text and "Group=petition-flow" in text
        assert "UMask=0077" in text
    web = (DEPLOY / "systemd" / "petition-flow-web.service").read_text(encoding="utf-8")
    assert "petition_flow.wsgi:app" in web and "--access-logfile -" in web
    scheduler = (DEPLOY / "systemd" / "petition-flow-scheduler.service").read_text("utf-8")
    assert "ExecStart=/opt/petition-flow/venv/bin/petition-flow scheduler" in scheduler


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xinfang.example.gov.cn")])
    start = datetime(2026, 1, 1, tzinfo=UTC)  # validity is not what nginx -t checks
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "fullchain.pem", folder / "privkey.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _nginx_test(nginx: str, tmp_path: Path, site: str) -> subprocess.CompletedProcess:
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx.pid;\nevents {{}}\n"
                    f"http {{\n    include {tmp_path}/site.conf;\n}}\n", encoding="utf-8")
    return subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                           "-c", str(main)], capture_output=True, text=True, timeout=60)


def test_the_nginx_configuration_passes_nginx_t_with_a_certificate(tmp_path):
    nginx = tool("nginx", "nginx")
    cert, key = _self_signed(tmp_path)
    site = (DEPLOY / "nginx" / "petition-flow.conf").read_text(encoding="utf-8")
    assert "/etc/petition-flow/tls/fullchain.pem" in site
    site = (site.replace("/etc/petition-flow/tls/fullchain.pem", str(cert))
                .replace("/etc/petition-flow/tls/privkey.pem", str(key))
                .replace("/var/log/nginx/", f"{tmp_path}/"))
    result = _nginx_test(nginx, tmp_path, site)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # The check can fail: a configuration naming a certificate that is not there does.
    broken = _nginx_test(nginx, tmp_path, site.replace(str(cert), str(tmp_path / "none.pem")))
    assert broken.returncode != 0


def test_nginx_serves_static_itself_with_the_applications_cache_rule_and_forwards_the_client():
    from petition_flow.proxy import IMMUTABLE, REVALIDATE

    site = (DEPLOY / "nginx" / "petition-flow.conf").read_text(encoding="utf-8")
    assert re.search(r"location /static/ \{\s*alias /opt/petition-flow/static/;", site)
    assert f'default "{IMMUTABLE}";' in site and f'""      "{REVALIDATE}";' in site
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    env = (DEPLOY / "petition-flow.env").read_text(encoding="utf-8")
    assert "\nPETITION_FLOW_TRUSTED_PROXIES=1\n" in env and "\nPETITION_FLOW_HTTPS=1\n" in env


def test_the_logrotate_file_parses(tmp_path):
    logrotate = tool("logrotate", "logrotate")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "web.log").write_text("x\n", encoding="utf-8")
    text = (DEPLOY / "logrotate" / "petition-flow").read_text(encoding="utf-8")
    assert "su petition-flow petition-flow" in text
    conf = tmp_path / "petition-flow"
    # Here there is no petition-flow user; root owns the temporary folder.
    conf.write_text(text.replace("/var/log/petition-flow/", f"{logs}/")
                    .replace("su petition-flow petition-flow", "su root root"), encoding="utf-8")
    conf.chmod(0o644)
    result = subprocess.run([logrotate, "-d", "-s", str(tmp_path / "state"), str(conf)],
                            capture_output=True, text=True, timeout=60)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "error:" not in out and "considering log" in out, out


def test_the_gunicorn_settings_file_names_only_real_settings_and_logs_access():
    pytest.importorskip("gunicorn", reason="gunicorn is the [server] extra: pip install -e '.[server]'")
    from gunicorn.config import KNOWN_SETTINGS

    known = {s.name for s in KNOWN_SETTINGS}
    scope: dict = {}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text("utf-8"), "gunicorn.conf.py", "exec"),
         scope)
    names = {k for k in scope if not k.startswith("__")}
    assert names <= known, names - known
    assert scope["accesslog"] == "-" and scope["bind"] == "127.0.0.1:8000"


def test_the_environment_file_names_only_settings_the_application_reads():
    env = (DEPLOY / "petition-flow.env").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?(PETITION_FLOW_[A-Z_]+)=", env, flags=re.M))
    assert {"PETITION_FLOW_INSTANCE", "PETITION_FLOW_WORKFLOWS", "PETITION_FLOW_DATABASE_URL",
            "PETITION_FLOW_SECRET_KEY", "PETITION_FLOW_LOG_LEVEL"} <= named
    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in (ROOT / "petition_flow").rglob("*.py"))
    from petition_flow.services.security import DEFAULTS

    for name in named:
        short = name.removeprefix("PETITION_FLOW_")
        # Named in full, a security setting (config.py adds the prefix), or a mail setting
        # (services/notify.py reads "SMTP_HOST" etc. under its PREFIX).
        assert name in source or short in DEFAULTS or f'"{short}"' in source, name

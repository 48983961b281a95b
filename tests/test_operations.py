"""Operations: `ticketbot doctor`, `ticketbot health`, and the Dockerfile and compose file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli.main import build_parser
from storage.migrate import head_revision
from tests.support.workers import ROOT, WorkerProcess, wait_for, worker_env


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_doctor_names_what_is_wrong(pg_url: str, redis_url: str, tmp_path: Path) -> None:
    env = worker_env(pg_url, redis_url)
    no_worker = cli(["doctor"], env)
    assert no_worker.returncode == 3  # a service failed: README's exit codes
    assert f"✓ Database: postgresql, schema {head_revision()} (the newest)" in no_worker.stdout
    assert "✗ Redis: queue ticketbot-test: 0 waiting, 0 worker(s) — start `ticketbot worker`" in no_worker.stdout
    assert "– Slack: not configured" in no_worker.stdout
    assert "✓ LLM (template)" in no_worker.stdout
    worker = WorkerProcess(env, tmp_path / "w.log")
    try:
        wait_for(lambda: cli(["health", "--worker"], env).returncode == 0, 60, "the worker to register")
        healthy = cli(["doctor"], env)
    finally:
        worker.stop()
    assert healthy.returncode == 0, healthy.stdout
    broken = cli(["doctor"], dict(env, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
                                  REDIS_URL="redis://127.0.0.1:1/0"))
    assert broken.returncode == 3
    assert "cannot reach the database" in broken.stdout and "cannot reach Redis" in broken.stdout


def test_health_of_a_missing_worker_or_server_fails(redis_url: str) -> None:
    env = worker_env("sqlite:///unused.db", redis_url, PORT="1")
    assert cli(["health", "--worker"], env).returncode == 3  # exit code 3: a worker or service failed
    assert cli(["health", "--serve"], env).returncode == 3  # exit code 3: a worker or service failed


def test_dockerfile_passes_hadolint_and_runs_as_a_non_root_user() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (it comes with the test extras)")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001:10001" in text and "HEALTHCHECK" in text and 'ENTRYPOINT ["ticketbot"]' in text
    assert "slim" in text.split("\n", 5)[3] or "slim" in text


def test_compose_runs_the_same_cli_the_tests_run() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "bot", "worker"}
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["migrate"]["command"] == ["db", "upgrade"]
    parser = build_parser()
    for name in ("migrate", "bot", "worker"):
        parser.parse_args(services[name]["command"])  # each is a real `ticketbot` command line
    parser.parse_args(services["worker"]["healthcheck"]["test"][2:])
    for name in ("bot", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_lock_file_pins_every_dependency_with_hashes_and_the_image_installs_from_it() -> None:
    import tomllib

    from packaging.requirements import Requirement

    lock = (ROOT / "requirements.lock").read_text()
    pinned: dict[str, str] = {}
    for entry in lock.replace("\\\n", " ").splitlines():
        if "==" in entry and not entry.lstrip().startswith("#"):
            name, _, rest = entry.strip().partition("==")
            version = rest.split()[0]
            assert "--hash=sha256:" in rest, f"{name} is locked without a hash"
            pinned[name.lower().replace("_", "-")] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        assert name in pinned, f"{name} is not in requirements.lock"
        assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]} does not satisfy {line}"
    assert Requirement(next(d for d in project["dependencies"] if d.startswith("waitress"))).specifier.contains(
        "3.0.2") and not Requirement(next(d for d in project["dependencies"] if d.startswith("waitress"))
                                     ).specifier.contains("3.0.1")
    assert "pip install --no-compile --require-hashes -r requirements.lock" in (ROOT / "Dockerfile").read_text()

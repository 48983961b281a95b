"""Shared test helpers: where the real spec data is, and building plans from inline CSV text."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
SHARED_SPECS = ROOT.parent / "shared" / "specs"
EXAMPLE_SPEC = ROOT / "examples" / "acme"


@pytest.fixture
def shared_specs() -> Path:
    """The real spec data beside the project; tests using it skip when it is absent."""
    if not SHARED_SPECS.is_dir():
        pytest.skip(f"real spec data not found at {SHARED_SPECS} (the shared/ folder beside the project)")
    return SHARED_SPECS


# ---- real PostgreSQL and Redis, each test run in its own database and Redis key space -------------


PG_ADMIN_URL = os.environ.get("TICKETBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", int(os.environ.get("TICKETBOT_TEST_REDIS_PORT", "6379"))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of this test run's own, migrated to head; dropped at the end of the run."""
    from sqlalchemy import create_engine, text

    from storage.database import make_engine
    from storage.migrate import upgrade

    name = f"ticketbot_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                           {"n": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The run's database, emptied before the test."""
    from sqlalchemy import create_engine, text

    from storage.models import Base

    engine = create_engine(pg_database)
    with engine.begin() as connection:
        # A transaction an earlier test abandoned (a killed worker behind a cut proxy) holds its locks for
        # ever, and TRUNCATE would wait on it for ever: end those first, and never wait long anyway.
        connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%' "
            "AND state_change < now() - interval '5 seconds'"))
        connection.execute(text("SET LOCAL lock_timeout = '60s'"))
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return pg_database


@pytest.fixture(scope="session")
def redis_db() -> Iterator[int]:
    """A Redis database number claimed for this run alone (a lock key in db 0 says whose it is)."""
    from redis import Redis

    lobby = Redis(REDIS_HOST, REDIS_PORT, db=0)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    for number in range(1, 16):
        if lobby.set(f"ticketbot:test-db-lock:{number}", token, nx=True, ex=3600):
            break
    else:
        pytest.fail("every Redis database 1-15 is claimed by another test run")
    yield number
    if lobby.get(f"ticketbot:test-db-lock:{number}") == token.encode():
        Redis(REDIS_HOST, REDIS_PORT, db=number).flushdb()
        lobby.delete(f"ticketbot:test-db-lock:{number}")


@pytest.fixture
def redis_url(redis_db: int) -> str:
    from redis import Redis

    Redis(REDIS_HOST, REDIS_PORT, db=redis_db).flushdb()
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    """A local fake OpenAI-compatible server (tests/fakes/openai_server.py), started and stopped per test."""
    with FakeOpenAIServer() as server:
        yield server


# ---- tiers: every test is unit, integration or e2e, by what it uses (`make test-fast` runs the first) ------

TIERS = ("unit", "integration", "e2e")
# Names that mean code starts processes (ticketbot serve, workers, the CLI, make).
_PROCESS_WORDS = ("subprocess", "WorkerProcess", "ServeProcess", "running_stack", "multiprocessing", "Popen")
# Fixture names (anywhere in a test's closure) that mean a database or Redis: SQLite files count too.
_DATABASE_WORDS = ("pg_", "redis", "engine", "database", "uow")


def _starting_processes(module: object) -> frozenset[str]:
    """Names of the module's functions that start processes, themselves or through another of them."""
    import ast
    import inspect

    cached = getattr(module, "_ticketbot_process_functions", None)
    if cached is not None:
        return frozenset(cached)
    try:
        tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    except (OSError, TypeError):
        return frozenset()
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    calls = {name: {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
             for name, node in functions.items()}
    starting = {name for name, node in functions.items() if any(w in ast.unparse(node) for w in _PROCESS_WORDS)}
    grew = True
    while grew:
        more = {name for name, called in calls.items() if called & starting} - starting
        starting |= more
        grew = bool(more)
    module._ticketbot_process_functions = frozenset(starting)  # type: ignore[attr-defined]
    return frozenset(starting)


def tier_of(item: pytest.Item) -> str:
    """e2e: it starts processes; integration: a database or Redis in this process; unit: neither."""
    function = getattr(item, "function", None)
    module = getattr(item, "module", None)
    names = set(getattr(item, "fixturenames", ()))
    if "stack" in names or (function is not None and module is not None
                            and function.__name__ in _starting_processes(module)):
        return "e2e"
    callspec = getattr(item, "callspec", None)
    params = " ".join(str(v) for v in callspec.params.values()) if callspec is not None else ""
    if any(w in name for name in names for w in _DATABASE_WORDS) or "postgresql" in params or "sqlite" in params:
        return "integration"
    return "unit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(getattr(pytest.mark, tier_of(item)))

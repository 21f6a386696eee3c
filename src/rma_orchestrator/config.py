"""Settings read from the environment, in one frozen object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from .engine.limits import StepLimits

# The project's folder of procedures when run from a checkout (src/ layout); absent when installed.
PROJECT_PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def _processes_dir(value: str | None) -> Path | None:
    """``RMA_PROCESSES_DIR``, else the checkout's ``processes/`` if there is one (else none)."""
    if value:
        return Path(value)
    return PROJECT_PROCESSES if PROJECT_PROCESSES.is_dir() else None


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = "dev-secret-change-me"
    business_tz: str = "Asia/Shanghai"
    controlled_clock: bool = False
    metrics_token: str | None = None
    script_time_limit: float = 1.0  # seconds one engine step may run
    workflow_cache_size: int = 256  # live workflows kept between commands; 0 restores every time
    step_workers: int = 2  # processes that run this process's engine steps
    step_memory_mb: int = 1024
    task_data_limit: int = 1_000_000  # bytes of JSON one task's data may take
    multi_instance_limit: int = 1_000
    loop_limit: int = 100  # turns of one loop in one step
    timer_horizon_days: int = 3653  # how far ahead a timer may be due
    session_hours: float = 8.0  # a browser session ends after this long without a request
    secure_cookies: bool = False  # send the session cookie over HTTPS only
    max_upload_mb: float = 10  # the largest attachment one upload may carry
    processes_dir: Path | None = None  # the procedures' files; scenarios in its tests/ (the modeler's)

    @cached_property
    def step_limits(self) -> StepLimits:
        return StepLimits(
            time=self.script_time_limit,
            memory_mb=self.step_memory_mb,
            data_bytes=self.task_data_limit,
            multi_instance=self.multi_instance_limit,
            loop_turns=self.loop_limit,
            timer_horizon=timedelta(days=self.timer_horizon_days),
        )

    @property
    def scenario_dir(self) -> Path | None:
        """Where the scenario files are (``rma test-processes``' default folder), if configured."""
        return self.processes_dir / "tests" if self.processes_dir is not None else None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'rma.sqlite3').resolve()}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "data_dir": Path(env.get("RMA_DATA_DIR", "var")),
            "database_url": env.get("RMA_DATABASE_URL", ""),
            "secret_key": env.get("RMA_SECRET_KEY", "dev-secret-change-me"),
            "business_tz": env.get("RMA_BUSINESS_TZ", "Asia/Shanghai"),
            "controlled_clock": _flag(env.get("RMA_CONTROLLED_CLOCK")),
            "metrics_token": env.get("RMA_METRICS_TOKEN") or None,
            "script_time_limit": float(env.get("RMA_SCRIPT_TIME_LIMIT", "1.0")),
            "workflow_cache_size": int(env.get("RMA_WORKFLOW_CACHE", "256")),
            "step_workers": int(env.get("RMA_STEP_WORKERS", "2")),
            "step_memory_mb": int(env.get("RMA_STEP_MEMORY_MB", "1024")),
            "task_data_limit": int(env.get("RMA_TASK_DATA_LIMIT", "1000000")),
            "multi_instance_limit": int(env.get("RMA_MULTI_INSTANCE_LIMIT", "1000")),
            "loop_limit": int(env.get("RMA_LOOP_LIMIT", "100")),
            "timer_horizon_days": int(env.get("RMA_TIMER_HORIZON_DAYS", "3653")),
            "session_hours": float(env.get("RMA_SESSION_HOURS", "8")),
            "secure_cookies": _flag(env.get("RMA_SECURE_COOKIES")),
            "max_upload_mb": float(env.get("RMA_MAX_UPLOAD_MB", "10")),
            "processes_dir": _processes_dir(env.get("RMA_PROCESSES_DIR")),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

"""Settings read from the environment, in one frozen object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


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
    script_time_limit: float = 1.0
    workflow_cache_size: int = 256  # live workflows kept between commands; 0 restores every time

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
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

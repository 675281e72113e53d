"""One frozen Settings for the whole server: embedded defaults < TOML file < HANAMI_* env < flags.

Every field below is documented; its environment variable is `HANAMI_` + the field name in upper
case (e.g. `HANAMI_PORT=8080`), and its TOML key is the field name (top level, no tables).
Relative paths are resolved against the working directory when the settings are loaded, and
paths left empty default to files under `data_dir`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "HANAMI_"


class SettingsError(ValueError):
    """A setting has an unknown name or a value of the wrong type or range."""


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


@dataclass(frozen=True)
class Settings:
    """The server's configuration; build it with `load_settings`, never mutate it."""

    host: str = field(default="127.0.0.1", metadata=_doc("address to listen on"))
    port: int = field(default=11418, metadata=_doc("TCP port to listen on"))
    data_dir: Path = field(default=Path("data"), metadata=_doc("where all state lives"))
    database_path: Path | None = field(
        default=None, metadata=_doc("SQLite file; default <data_dir>/hanami.sqlite3")
    )
    jwt_key_file: Path | None = field(
        default=None, metadata=_doc("JWT signing key; default <data_dir>/jwt.key (made once)")
    )
    token_lifetime_s: int = field(default=3600, metadata=_doc("JWT lifetime in seconds"))
    policy_file: Path | None = field(
        default=None, metadata=_doc("access policy TOML; default: the one shipped in the package")
    )
    admin_user: str = field(default="admin", metadata=_doc("id of the first admin"))
    admin_password: str | None = field(
        default=None, metadata=_doc("first admin's password; generated and printed if unset")
    )
    max_body_bytes: int = field(default=4 << 20, metadata=_doc("largest REST request body"))
    scrypt_n: int = field(default=1 << 14, metadata=_doc("scrypt cost (power of 2, >= 2)"))
    scrypt_r: int = field(default=8, metadata=_doc("scrypt block size"))
    scrypt_p: int = field(default=1, metadata=_doc("scrypt parallelism"))
    login_max_failures: int = field(
        default=5, metadata=_doc("failed logins per user within the window before 429")
    )
    login_window_s: int = field(default=60, metadata=_doc("failed-login window in seconds"))
    worker_threads: int = field(
        default=0, metadata=_doc("threads running network work; 0 = one per CPU core")
    )
    persist_interval_s: float = field(
        default=30.0, metadata=_doc("seconds between saves of changed clusters")
    )
    max_upload_bytes: int = field(
        default=4 << 30, metadata=_doc("largest dataset file or checkpoint upload, in bytes")
    )
    upload_expiry_s: float = field(
        default=86400.0, metadata=_doc("seconds an unfinished upload is kept after its last write")
    )
    task_chunk_ms: float = field(
        default=10.0,
        metadata=_doc("milliseconds of work a task does per lock hold (websocket gets in between)"),
    )
    warmup: bool = field(default=True, metadata=_doc("compile the kernels before /readyz"))
    log_level: str = field(default="info", metadata=_doc("uvicorn log level"))
    ws_max_frame_bytes: int = field(
        default=4 << 20, metadata=_doc("largest websocket frame; a bigger one closes with 1009")
    )
    ws_auth_timeout_s: float = field(
        default=5.0, metadata=_doc("seconds a websocket has to send its auth frame")
    )
    ws_pipeline_depth: int = field(
        default=64, metadata=_doc("websocket requests in flight before the server stops reading")
    )
    native_threads: int = field(
        default=-1,
        metadata=_doc(
            "GIL-free threads for websocket learns and infers when connections crowd in; "
            "-1 = one per CPU core but one, 0 = none (worker threads instead)"
        ),
    )
    ws_inline_max_us: float = field(
        default=300.0,
        metadata=_doc("run a websocket request on the event loop when it costs less (0 = never)"),
    )
    ws_busy_poll_us: float = field(
        default=300.0,
        metadata=_doc(
            "microseconds the event loop polls for the next websocket request after a reply "
            "instead of sleeping (lower latency for CPU; 0 = never)"
        ),
    )
    sysfs_root: Path = field(
        default=Path("/sys"), metadata=_doc("sysfs root read for RAPL, cpufreq and temperatures")
    )
    procfs_root: Path = field(
        default=Path("/proc"), metadata=_doc("procfs root read for cpuinfo, stat and meminfo")
    )
    watts_per_core: float = field(
        default=10.0, metadata=_doc("watts of one busy core, for energy estimates without RAPL")
    )
    metrics_token: str | None = field(
        default=None, metadata=_doc("bearer token GET /metrics requires; unset = open")
    )
    max_metric_clusters: int = field(
        default=1000, metadata=_doc("clusters with their own metric series; more go to _other")
    )
    sample_interval_s: float = field(
        default=1.0, metadata=_doc("seconds between host samples (power, frequency, temperature)")
    )
    cpufreq_regulation: bool = field(
        default=False, metadata=_doc("lower scaling_max_freq while idle, restore it under load")
    )
    cpufreq_idle_after_s: float = field(
        default=30.0, metadata=_doc("seconds without learn/infer/task work before lowering")
    )
    cpufreq_idle_khz: int = field(
        default=0, metadata=_doc("scaling_max_freq while idle in kHz; 0 = scaling_min_freq")
    )

    @property
    def database_file(self) -> Path:
        """The SQLite file actually used."""
        return self.database_path or self.data_dir / "hanami.sqlite3"

    @property
    def jwt_key_path(self) -> Path:
        """The JWT key file actually used."""
        return self.jwt_key_file or self.data_dir / "jwt.key"

    @property
    def workers(self) -> int:
        """Number of worker threads actually used."""
        return self.worker_threads or _cores()

    @property
    def natives(self) -> int:
        """Number of native threads actually used."""
        return self.native_threads if self.native_threads >= 0 else _cores() - 1

    def __post_init__(self) -> None:
        checks = [
            (1 <= self.port <= 65535 or self.port == 0, "port must be 0..65535"),
            (self.token_lifetime_s > 0, "token_lifetime_s must be positive"),
            (self.max_body_bytes > 0, "max_body_bytes must be positive"),
            (
                self.scrypt_n >= 2 and self.scrypt_n & (self.scrypt_n - 1) == 0,
                "scrypt_n must be a power of 2 and at least 2",
            ),
            (self.scrypt_r >= 1 and self.scrypt_p >= 1, "scrypt_r and scrypt_p must be >= 1"),
            (self.login_max_failures >= 1, "login_max_failures must be >= 1"),
            (self.login_window_s >= 1, "login_window_s must be >= 1"),
            (self.worker_threads >= 0, "worker_threads must be >= 0 (0 = one per core)"),
            (self.persist_interval_s > 0, "persist_interval_s must be positive"),
            (self.max_upload_bytes > 0, "max_upload_bytes must be positive"),
            (self.upload_expiry_s > 0, "upload_expiry_s must be positive"),
            (0 < self.task_chunk_ms <= 1000, "task_chunk_ms must be in (0, 1000]"),
            (self.ws_max_frame_bytes > 0, "ws_max_frame_bytes must be positive"),
            (self.ws_auth_timeout_s > 0, "ws_auth_timeout_s must be positive"),
            (self.ws_pipeline_depth >= 1, "ws_pipeline_depth must be >= 1"),
            (self.ws_inline_max_us >= 0, "ws_inline_max_us must be >= 0"),
            (self.ws_busy_poll_us >= 0, "ws_busy_poll_us must be >= 0"),
            (self.native_threads >= -1, "native_threads must be >= -1 (-1 = cores - 1)"),
            (self.watts_per_core > 0, "watts_per_core must be positive"),
            (self.max_metric_clusters >= 0, "max_metric_clusters must be >= 0"),
            (self.sample_interval_s > 0, "sample_interval_s must be positive"),
            (self.cpufreq_idle_after_s > 0, "cpufreq_idle_after_s must be positive"),
            (self.cpufreq_idle_khz >= 0, "cpufreq_idle_khz must be >= 0 (0 = scaling_min_freq)"),
            (
                re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}", self.admin_user) is not None,
                "admin_user must be 1-64 letters, digits or _.@- (starting with a letter/digit)",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise SettingsError(message)


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _show(value: Any) -> str:
    return str(value) if isinstance(value, Path) else repr(value)


def describe() -> list[tuple[str, str, str]]:
    """(environment variable, default, meaning) for every setting, for --help and docs."""
    defaults = Settings()
    return [
        (ENV_PREFIX + name.upper(), _show(getattr(defaults, name)), str(f.metadata["doc"]))
        for name, f in _FIELDS.items()
    ]


def _coerce(name: str, value: Any, source: str) -> Any:
    """Turn a TOML value or an environment string into the field's type, or explain why not."""
    kind = str(_FIELDS[name].type)
    optional = "None" in kind
    if optional and (value is None or value == ""):
        return None
    try:
        if kind.startswith("Path"):
            if not isinstance(value, str):
                raise TypeError
            return Path(value).expanduser().absolute()
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
                return True
            if isinstance(value, str) and value.lower() in ("0", "false", "no", "off"):
                return False
            raise TypeError
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise TypeError
            return int(value)
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise TypeError
            return float(value)
        if not isinstance(value, str):
            raise TypeError
        return value
    except (TypeError, ValueError):
        raise SettingsError(
            f"{source}: {name} = {value!r} is not a valid {kind}; fix or remove it"
        ) from None


def load_settings(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge defaults, a TOML file (HANAMI_CONFIG if none given), environment and overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if config_file is None and env.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(env[ENV_PREFIX + "CONFIG"])
    if config_file is not None:
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"cannot read config file {config_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {config_file} is not valid TOML: {exc}") from None
        for key, value in data.items():
            if key not in _FIELDS:
                raise SettingsError(
                    f"{config_file}: unknown setting {key!r}; known: {', '.join(_FIELDS)}"
                )
            values[key] = _coerce(key, value, str(config_file))
    for name in _FIELDS:
        var = ENV_PREFIX + name.upper()
        if var in env:
            values[name] = _coerce(name, env[var], var)
    for name, value in (overrides or {}).items():
        if name not in _FIELDS:
            raise SettingsError(f"unknown setting {name!r}")
        if value is not None:
            values[name] = _coerce(name, str(value) if isinstance(value, Path) else value, name)
    values.setdefault("data_dir", Path("data").absolute())
    return Settings(**values)


def _cores() -> int:
    """The CPU cores this process may run on (its affinity, as taskset or a cpuset sets it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1

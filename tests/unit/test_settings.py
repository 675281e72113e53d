"""Settings: defaults, TOML file, HANAMI_* environment, overrides, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanami_rt.settings import Settings, SettingsError, describe, load_settings


def test_defaults_are_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert (settings.host, settings.port) == ("127.0.0.1", 11418)
    assert settings.data_dir == tmp_path / "data"
    assert settings.database_file == tmp_path / "data" / "hanami.sqlite3"
    assert settings.jwt_key_path == tmp_path / "data" / "jwt.key"
    assert settings.token_lifetime_s == 3600
    assert settings.workers >= 1


def test_file_then_env_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "hanami.toml"
    config.write_text('port = 9000\nhost = "0.0.0.0"\nwarmup = false\npersist_interval_s = 5\n')
    env = {"HANAMI_PORT": "9100", "HANAMI_DATA_DIR": str(tmp_path / "d")}
    settings = load_settings(config, env=env, overrides={"host": "127.0.0.2"})
    assert settings.port == 9100
    assert settings.host == "127.0.0.2"
    assert settings.warmup is False
    assert settings.persist_interval_s == 5.0
    assert settings.data_dir == tmp_path / "d"


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("token_lifetime_s = 60\n")
    assert load_settings(env={"HANAMI_CONFIG": str(config)}).token_lifetime_s == 60


def test_admin_credentials_come_from_environment() -> None:
    env = {"HANAMI_ADMIN_USER": "root", "HANAMI_ADMIN_PASSWORD": "s3cret-pass"}
    settings = load_settings(env=env)
    assert (settings.admin_user, settings.admin_password) == ("root", "s3cret-pass")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"HANAMI_PORT": "eighty"}, "HANAMI_PORT"),
        ({"HANAMI_PORT": "70000"}, "port must be"),
        ({"HANAMI_WARMUP": "maybe"}, "HANAMI_WARMUP"),
        ({"HANAMI_SCRYPT_N": "1000"}, "power of 2"),
    ],
)
def test_bad_environment_values_are_refused(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError, match=fragment):
        load_settings(env=env)


def test_unknown_and_mistyped_file_keys_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(SettingsError, match="unknown setting 'prot'"):
        load_settings(config, env={})
    config.write_text('port = "x"\n')
    with pytest.raises(SettingsError, match="port"):
        load_settings(config, env={})
    config.write_text("port = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(config, env={})


def test_settings_are_frozen_and_documented() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]
    names = [name for name, _, _ in describe()]
    assert "HANAMI_PORT" in names and "HANAMI_PERSIST_INTERVAL_S" in names


def test_admin_user_must_be_a_valid_login_id() -> None:
    with pytest.raises(SettingsError, match="admin_user"):
        load_settings(env={"HANAMI_ADMIN_USER": "my admin"})


def test_thread_counts_follow_the_cores_this_process_may_use(tmp_path: Path) -> None:
    import os

    cores = len(os.sched_getaffinity(0))
    auto = load_settings(env={}, overrides={"data_dir": tmp_path})
    assert (auto.workers, auto.natives) == (cores, cores - 1)
    fixed = load_settings(
        env={}, overrides={"data_dir": tmp_path, "worker_threads": 3, "native_threads": 0}
    )
    assert (fixed.workers, fixed.natives) == (3, 0)
    with pytest.raises(SettingsError, match="native_threads"):
        load_settings(env={}, overrides={"data_dir": tmp_path, "native_threads": -2})

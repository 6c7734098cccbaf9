"""Portique's configuration in one place: defaults, a TOML file and PORTIQUE_* variables."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

APP_NAME = "portique"
DEFAULT_DETECTOR_FILE = "face_detection_yunet_2023mar.onnx"
DEFAULT_EMBEDDER_FILE = "mobilefacenet_foamliu.onnx"


def default_data_dir() -> Path:
    """Where Portique keeps its site data when no directory is given."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_cache_dir() -> Path:
    """Where derived, rebuildable files (converted models) are cached."""
    return Path(platformdirs.user_cache_dir(APP_NAME))


def config_file() -> Path:
    """The TOML configuration file read at start-up (PORTIQUE_CONFIG overrides it)."""
    override = os.environ.get("PORTIQUE_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "portique.toml"


class _TomlSource(PydanticBaseSettingsSource):
    """Reads settings from the TOML configuration file, if there is one."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = config_file()
        self._data: dict[str, Any] = {}
        if path.is_file():
            with path.open("rb") as handle:
                self._data = tomllib.load(handle)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class Settings(BaseSettings):
    """Every setting, with its default; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="PORTIQUE_", extra="ignore")

    lang: str | None = Field(default=None, description="Interface language: fr or en.")
    data_dir: Path = Field(default_factory=default_data_dir)
    cache_dir: Path = Field(default_factory=default_cache_dir)
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite if unset.")

    backend: str = Field(default="dlib", description="Face back end: dlib, onnx or edgeface.")
    operating_point: str = Field(default="fmr-1e-4")
    max_image_pixels: int = Field(default=40_000_000, description="Larger images are refused.")
    max_image_bytes: int = Field(default=25_000_000, description="Larger files are refused.")

    dlib_engine: str = Field(default="onnx", description="Descriptor engine: onnx or dlib-native.")
    min_face_px: float = Field(default=40.0, description="Smallest face width to detect.")
    coarse_face_px: float | None = Field(
        default=None, description="First look for faces this wide on a downscaled image."
    )

    models_dir: Path | None = Field(default=None, description="Folder holding the ONNX models.")
    onnx_detector: Path | None = Field(default=None, description="YuNet .onnx file.")
    onnx_embedder: Path | None = Field(default=None, description="MobileFaceNet .onnx file.")
    edgeface_embedder: Path | None = Field(default=None, description="EdgeFace-XS .onnx file.")
    onnx_detector_sha256: str | None = Field(default=None, description="Pin another detector.")
    onnx_embedder_sha256: str | None = Field(default=None, description="Pin another embedder.")

    public_url: str | None = Field(
        default=None,
        description="The site's address as phones reach it (phone pass enrolment links).",
    )

    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Reverse proxies (addresses, networks) whose X-Forwarded-For is believed.",
    )

    smtp_host: str | None = Field(default=None, description="SMTP server sending passes.")
    smtp_port: int = Field(default=25, description="Its port (587 with STARTTLS).")
    smtp_sender: str | None = Field(default=None, description="From: of visitor passes.")
    smtp_starttls: bool = Field(default=False, description="Upgrade to TLS with STARTTLS.")
    smtp_username: str | None = Field(default=None, description="SMTP login, if needed.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_timeout_s: float = Field(default=10.0, description="SMTP connection timeout.")
    visitor_pass_margin_minutes: int = Field(
        default=30, ge=0, le=24 * 60, description="A pass opens this long around its visit."
    )

    retention_passages_days: int = Field(
        default=92, ge=1, description="Passage events and their reviews (3 months)."
    )
    retention_visitors_days: int = Field(
        default=92, ge=1, description="Visitor identities, after their last visit (3 months)."
    )
    retention_audit_days: int = Field(default=366, ge=1, description="Audit log (1 year).")
    retention_lane_status_days: int = Field(
        default=366, ge=1, description="Lane online/offline history (1 year)."
    )
    purge_interval_hours: float = Field(
        default=24.0, ge=0, description="Retention purge in the server; 0 turns it off."
    )

    @model_validator(mode="after")
    def _models_from_dir(self) -> Settings:
        if self.models_dir is not None:
            if self.onnx_detector is None:
                self.onnx_detector = self.models_dir / DEFAULT_DETECTOR_FILE
            if self.onnx_embedder is None:
                self.onnx_embedder = self.models_dir / DEFAULT_EMBEDDER_FILE
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

"""A site's settings (the ``sites.settings`` column): one typed object, parsed once.

Everything that reads a site's settings (the policy snapshot, enrollment, the template
store, the console, the DPIA, the assessment report) reads them through
:func:`site_settings`; everything that writes them goes through :func:`change_settings`,
which checks the new values and writes only the keys it changes, so a setting Portique
does not know (a later version's) is kept as it is.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from portique.access import Action, PolicyError, SiteSettings
from portique.access.codec import settings_from_json
from portique.store import SiteRow


class TemplateStore(StrEnum):
    """Where a site keeps face templates: on the person's card (default), or in the
    central store under a key carried by the card."""

    CARD = "card"
    CENTRAL = "central"


class StoredSettings(BaseModel):
    """A site's settings as stored. ``face_enabled``: the site offers face comparison to
    those who opt in (consent and enrollment; nobody else is ever asked for a face).
    ``face_model`` is fixed by the first enrollment, so every template of a site comes
    from one model. ``template_store``: where new templates are kept."""

    model_config = ConfigDict(frozen=True, extra="allow")

    face_enabled: bool = False
    face_model: str | None = None
    face_operating_point: str = "fmr-1e-4"
    face_mismatch_action: Action = Action.REFER
    poor_capture_action: Action = Action.REFER
    outside_hours_action: Action = Action.REFER
    anti_passback_minutes: float | None = 240
    arrival_margin_minutes: float | None = 15
    default_exit_rule: str = "after_last_lesson"
    template_store: TemplateStore = TemplateStore.CARD

    @field_validator("template_store", mode="before")
    @classmethod
    def _card_unless_known(cls, value: Any) -> Any:
        # A store this version does not know keeps templates on the cards, the safe default.
        return value if value in set(TemplateStore) else TemplateStore.CARD

    def as_json(self) -> dict[str, Any]:
        """The settings as the column keeps them (unknown keys included)."""
        return self.model_dump(mode="json")

    def policy(self, face_threshold: float | None) -> SiteSettings:
        """The engine's settings: face comparison is on only when the site enables it and
        a threshold is known (a model was enrolled and calibrated)."""
        return settings_from_json(self.as_json(), face_threshold)


def parse_settings(data: Any) -> StoredSettings:
    """The settings stored as ``data``; raises PolicyError when they are malformed."""
    try:
        return StoredSettings.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"The stored site settings are malformed: {exc}") from None


def site_settings(site: SiteRow) -> StoredSettings:
    """The settings of a site's row (PolicyError when malformed)."""
    return parse_settings(site.settings)


def change_settings(site: SiteRow, **changes: Any) -> StoredSettings:
    """Changes some of the site's settings, checked first; only those keys are written."""
    changed = parse_settings({**site.settings, **changes})
    written = changed.as_json()
    site.settings = {**site.settings, **{name: written[name] for name in changes}}
    return changed


def initial_settings(*, face_enabled: bool) -> dict[str, Any]:
    """The settings of a new site: the defaults, face comparison offered or not."""
    return StoredSettings(face_enabled=face_enabled).as_json()

"""A site's settings (the ``sites.settings`` column): one typed object, parsed once.

Everything that reads a site's settings (the policy snapshot, enrollment, the template
store, the console, the DPIA, the assessment report) reads them through
:func:`site_settings`; everything that writes them goes through :func:`change_settings`,
which checks the new values and writes only the keys it changes, so a setting Portique
does not know (a later version's) is kept as it is, and bumps the site's snapshot
version when a setting the snapshots carry changes, so running lanes fetch a new one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from sqlalchemy.orm import object_session

from portique.access import Action, PolicyError, SiteSettings
from portique.access.codec import settings_from_json
from portique.store import SiteRow, Sites


class TemplateStore(StrEnum):
    """Where a site keeps face templates: on the person's card (default), or in the
    central store under a key carried by the card."""

    CARD = "card"
    CENTRAL = "central"


class InformationSettings(BaseModel):
    """Who the documents name: the controller, the DPO, where the full notice is published,
    and the recipients outside the school. Empty fields are shown as blanks to fill in."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    controller: str = Field(default="", max_length=200)
    """Who decides: by default the head of the establishment (« le chef d'établissement »)."""
    controller_address: str = Field(default="", max_length=300)
    dpo: str = Field(default="", max_length=200)
    """The DPO's name or office (« DPD de l'académie de … »)."""
    dpo_email: str = Field(default="", max_length=200)
    dpo_address: str = Field(default="", max_length=300)
    notice_url: str = Field(default="", max_length=300)
    """Where the full notice is published; the entrance sign carries it as a QR code."""
    recipients: tuple[str, ...] = Field(default=(), max_length=12)
    """Recipients outside the school (the region hosting the server, a maintainer…)."""

    @field_validator("dpo_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and (value.count("@") != 1 or " " in value or "." not in value.split("@")[1]):
            raise ValueError("dpo_email")
        return value

    @field_validator("notice_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and (not value.startswith(("https://", "http://")) or " " in value):
            raise ValueError("notice_url")
        return value

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        kept = tuple(" ".join(line.split()) for line in value if line.strip())
        if any(len(line) > 200 for line in kept):
            raise ValueError("recipients")
        return kept

    def missing(self) -> tuple[str, ...]:
        """The fields a printed document needs and that are still empty."""
        needed = ("controller_address", "dpo", "dpo_email", "notice_url")
        return tuple(name for name in needed if not getattr(self, name))


class StoredSettings(BaseModel):
    """A site's settings as stored. ``face_enabled``: the site offers face comparison to
    those who opt in (consent and enrollment; nobody else is ever asked for a face).
    ``face_model`` is fixed by the first enrollment, so every template of a site comes
    from one model. ``template_store``: where new templates are kept."""

    model_config = ConfigDict(frozen=True, extra="allow")

    face_enabled: bool = False
    face_model: str | None = None
    previous_face_model: str | None = None
    """During a change of model: the model of the templates still in circulation, which
    the gate keeps opening until everyone has re-enrolled (``portique site model``)."""
    face_operating_point: str = "fmr-1e-4"
    face_mismatch_action: Action = Action.REFER
    poor_capture_action: Action = Action.REFER
    outside_hours_action: Action = Action.REFER
    anti_passback_minutes: float | None = 240
    arrival_margin_minutes: float | None = 15
    default_exit_rule: str = "after_last_lesson"
    template_store: TemplateStore = TemplateStore.CARD
    pad_enabled: bool = False
    """The lanes check faces for presentation attacks (photos, screens) before comparing."""
    pad_threshold: float | None = None
    """The liveness score below which a face is a suspected attack; None: the product's
    default (``portique eval pad --set-threshold`` calibrates a site's own)."""
    information: InformationSettings = InformationSettings()
    """Who the information and consent documents name (``portique privacy contacts``)."""
    uai: str | None = None
    """The establishment code register exports must carry (``portique uai``)."""

    @field_validator("template_store", mode="before")
    @classmethod
    def _card_unless_known(cls, value: Any) -> Any:
        # A store this version does not know keeps templates on the cards, the safe default.
        return value if value in set(TemplateStore) else TemplateStore.CARD

    @field_validator("pad_enabled", mode="before")
    @classmethod
    def _truthy(cls, value: Any) -> bool:
        return bool(value)

    @field_validator("information", mode="wrap")
    @classmethod
    def _blank_unless_readable(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # Unreadable contacts are shown as blanks to fill in; they never stop a site.
        try:
            return handler(value)
        except ValidationError:
            return InformationSettings()

    def as_json(self) -> dict[str, Any]:
        """The settings as the column keeps them (unknown keys included)."""
        return self.model_dump(mode="json")

    def template_model(self, recorded: str | None) -> str | None:
        """The model of a credential's template: the one ``recorded`` at its issue, else
        (issued before models were recorded) the previous model during a change, else the
        site's model; None while the site has none."""
        return recorded or self.previous_face_model or self.face_model

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


SERVER_SIDE_SETTINGS = frozenset({"template_store", "information", "uai"})
"""The settings no snapshot carries, neither a lane's nor the in-process gate's: where new
templates are kept, who the documents name, the establishment code. Every other setting,
one Portique does not know included, may reach the lanes."""


def change_settings(site: SiteRow, **changes: Any) -> StoredSettings:
    """Changes some of the site's settings, checked first; only those keys are written.

    When a setting the snapshots carry takes a new value, the site's snapshot version is
    bumped in the same transaction: the lanes decide with it from their next snapshot.
    A change of :data:`SERVER_SIDE_SETTINGS` alone leaves the version as it is (a bump
    makes every lane fetch a whole snapshot again).
    """
    changed = parse_settings({**site.settings, **changes})
    written = changed.as_json()
    before = site.settings
    site.settings = {**before, **{name: written[name] for name in changes}}
    session = object_session(site)
    if session is not None and _carried(site.settings) != _carried(before):
        Sites(session).bump_version(site.site_id)
    return changed


def _carried(settings: dict[str, Any]) -> dict[str, Any]:
    """The stored settings that a snapshot may carry."""
    return {name: value for name, value in settings.items() if name not in SERVER_SIDE_SETTINGS}


def set_presentation_attack_detection(
    site: SiteRow, *, enabled: bool, threshold: float | None = None
) -> StoredSettings:
    """Turns the lanes' presentation-attack check on or off; ``threshold``, when given,
    becomes the site's own liveness threshold (calibrated on its camera)."""
    changes: dict[str, Any] = {"pad_enabled": enabled}
    if threshold is not None:
        if not 0.0 <= threshold <= 1.0:
            raise PolicyError(f"A liveness threshold lies between 0 and 1, not {threshold}.")
        changes["pad_threshold"] = threshold
    return change_settings(site, **changes)


def set_face_model(site: SiteRow, model: str) -> StoredSettings:
    """Starts a change of the site's face model: new enrolments use ``model``; templates
    of the model in use so far stay readable until it is dropped."""
    current = site_settings(site)
    if current.face_model == model:
        return current
    previous = current.previous_face_model or current.face_model
    return change_settings(
        site, face_model=model, previous_face_model=None if previous == model else previous
    )


def drop_previous_face_model(site: SiteRow) -> StoredSettings:
    """Ends a change of model: the old templates are no longer opened."""
    return change_settings(site, previous_face_model=None)


def initial_settings(
    *, face_enabled: bool, uai: str | None = None, face_model: str | None = None
) -> dict[str, Any]:
    """The settings of a new site: the defaults, face comparison offered or not, its
    establishment code and its face model when known."""
    return StoredSettings(face_enabled=face_enabled, uai=uai, face_model=face_model).as_json()

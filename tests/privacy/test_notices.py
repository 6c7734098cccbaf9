"""The information and consent documents say what the site's configuration does: no
consent form and no biometrics where no lane compares faces, the template store, the
retention figures, the model's measured rates, PAD, the contacts; their configuration
version follows exactly what they print; and they name nobody."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from notices_support import NOW, facts_of, new_site, page, plain, set_lane_face, set_settings

from portique.access import ConsentGiver, Role
from portique.config import Settings
from portique.demo import CAST
from portique.errors import BadInputError
from portique.privacy import notices
from portique.privacy.information import DocumentKind, set_information
from portique.privacy.notices import PAD_SETTING, french_typography
from portique.privacy.retention import RetentionPolicy
from portique.services import NewPerson, SiteHandle, add_person, grant_consent
from portique.services.rows import site_row
from portique.services.settings import InformationSettings, TemplateStore
from portique.services.vault import set_template_store

NOTICES = (DocumentKind.NOTICE_FAMILIES, DocumentKind.NOTICE_STAFF, DocumentKind.NOTICE_VISITORS)
FACE_FORMS = (DocumentKind.CONSENT_ADULT, DocumentKind.CONSENT_GUARDIAN, DocumentKind.WITHDRAWAL)
PUPILS_BAND = (60.0, 90.0)
"""Kandel–Moles reading ease of the pupils' notice: at least « standard » (a pupil of 13 to
15 reads it alone), and not so easy that it talks down to the families."""


@pytest.fixture
def face_site(tmp_path: Path) -> Iterator[SiteHandle]:
    site = new_site(tmp_path / "face", face=True)
    yield site
    site.close()


@pytest.fixture
def plain_site(tmp_path: Path) -> Iterator[SiteHandle]:
    site = new_site(tmp_path / "plain", face=False)
    yield site
    site.close()


def test_a_site_without_face_comparison_gets_no_consent_form_and_a_notice_without_biometrics(
    plain_site: SiteHandle,
) -> None:
    facts = facts_of(plain_site)
    assert facts.face is None
    assert not set(FACE_FORMS) & set(facts.offered)
    for kind in (*NOTICES[:2], DocumentKind.SIGN_A4):
        html = plain(page(plain_site, kind))
        assert 'id="no-biometrics"' in html and "Pas de biométrie" in html, kind
        assert "gabarit" not in html and "consentement" not in html.lower(), kind
    for kind in FACE_FORMS:
        with pytest.raises(BadInputError, match="aucune voie ne compare"):
            notices.render(facts, kind)


def test_a_site_that_offers_faces_on_no_lane_has_no_biometrics_either(
    face_site: SiteHandle,
) -> None:
    set_lane_face(face_site, "entree", False)
    facts = facts_of(face_site)
    assert facts.face is None and DocumentKind.CONSENT_GUARDIAN not in facts.offered
    assert "Pas de biométrie" in page(face_site, DocumentKind.NOTICE_FAMILIES)


def test_a_site_comparing_faces_offers_both_consent_forms_and_names_its_lane(
    face_site: SiteHandle,
) -> None:
    facts = facts_of(face_site)
    assert facts.offered == tuple(DocumentKind)
    notice = plain(page(face_site, DocumentKind.NOTICE_FAMILIES))
    assert "Pas de biométrie" not in notice
    assert "Elle est facultative." in notice and "« Entrée principale »" in notice
    assert "Sortie principale" not in notice.split('id="face"')[1].split("<h2>")[0]
    assert "article 9-2-a" in notice  # consent as the legal basis of the face
    # Visitors are never enrolled: their notice says their face is never compared.
    assert "Votre visage n'est jamais comparé." in plain(
        page(face_site, DocumentKind.NOTICE_VISITORS)
    )


def test_the_consent_forms_ask_who_signed_as_what_and_when(face_site: SiteHandle) -> None:
    guardian = plain(page(face_site, DocumentKind.CONSENT_GUARDIAN))
    adult = plain(page(face_site, DocumentKind.CONSENT_ADULT))
    withdrawal = plain(page(face_site, DocumentKind.WITHDRAWAL))
    for fragment in ("Signé par : nom et prénom", "parent", "tuteur légal", "Date :"):
        assert fragment in guardian, fragment
    assert "Signé par : la personne elle-même, majeure." in adult and "Date :" in adult
    for form in (guardian, adult):
        assert "Cet accord est facultatif." in form
        assert "ne change rien pour entrer" in form
        assert "au plus tard le 31 août" in form  # how long the template lives
        assert "formulaire de retrait" in form  # how to withdraw
        assert "Réservé à l'administration" in form
    assert "Demandé par : nom et prénom" in withdrawal and "la personne elle-même" in withdrawal
    assert "son avis compte" in guardian.lower()


def test_the_central_store_is_said_where_it_is_chosen(face_site: SiteHandle) -> None:
    on_card = plain(page(face_site, DocumentKind.NOTICE_FAMILIES))
    assert "Votre gabarit est rangé dans votre carte, chiffré." in on_card
    assert "sous une forme scellée" not in on_card

    with face_site.session() as session:
        set_template_store(site_row(session, face_site.site_id), TemplateStore.CENTRAL)
    central = {kind: plain(page(face_site, kind)) for kind in (*NOTICES[:2], *FACE_FORMS)}
    for kind in (*NOTICES[:2], DocumentKind.CONSENT_ADULT, DocumentKind.CONSENT_GUARDIAN):
        assert "gardé sur le serveur de l'établissement, sous une forme scellée" in central[kind]
        assert "La clé qui l'ouvre est seulement dans" in central[kind]
        assert "rangé dans" not in central[kind]
    assert "Le gabarit scellé est effacé du serveur." in central[DocumentKind.WITHDRAWAL]


def test_retention_figures_are_the_settings(face_site: SiteHandle) -> None:
    policy = RetentionPolicy.from_settings(
        Settings(
            retention_passages_days=45,
            retention_visitors_days=31,
            retention_audit_days=200,
        )
    )
    families = plain(page(face_site, DocumentKind.NOTICE_FAMILIES, policy))
    assert "Vos passages : 45 jours." in families
    assert "d'administration : 200 jours (environ 7 mois)." in families
    assert "92 jours" not in families and "366 jours" not in families
    visitors = plain(page(face_site, DocumentKind.NOTICE_VISITORS, policy))
    assert "31 jours après votre dernière visite" in visitors
    sign = plain(page(face_site, DocumentKind.SIGN_A3, policy))
    assert "Les passages sont gardés 45 jours" in sign and "31 jours après leur visite" in sign


def test_defaults_are_three_months_and_a_year(face_site: SiteHandle) -> None:
    families = plain(page(face_site, DocumentKind.NOTICE_FAMILIES, RetentionPolicy()))
    assert "Vos passages : 92 jours (environ 3 mois)." in families
    assert "366 jours (environ 1 an)" in families


def test_the_models_measured_error_rates_are_printed(face_site: SiteHandle) -> None:
    unknown = plain(page(face_site, DocumentKind.NOTICE_FAMILIES))
    assert "fixé au premier enregistrement d'un visage" in unknown
    assert "confond deux personnes" not in unknown

    set_settings(face_site, face_model="dlib-resnet-v1")
    known = page(face_site, DocumentKind.NOTICE_FAMILIES)
    # 29,640,749 impostor comparisons on LFW, false match rate 1e-4 at fmr-1e-4.
    assert "29\u202f640\u202f749 comparaisons" in known
    assert "confond deux personnes environ 1 fois sur 10\u202f000" in known
    # FNMR 19.27 % at that threshold on LFW's 8,101 genuine comparisons (BENCHMARKS.md).
    assert "ne reconnaît pas la bonne personne environ 1 fois sur 5 (19,3\u00a0%)" in known
    guardian = page(face_site, DocumentKind.CONSENT_GUARDIAN)
    assert "1 fois sur 10\u202f000" in guardian and "environ 1 fois sur 5" in guardian
    assert "dlib-resnet-v1" in known and "fmr-1e-4" in known


def test_presentation_attack_detection_is_described_as_the_settings_have_it(
    face_site: SiteHandle,
) -> None:
    assert facts_of(face_site).face is not None
    assert not facts_of(face_site).face.pad_in_use  # type: ignore[union-attr]
    off = plain(page(face_site, DocumentKind.NOTICE_FAMILIES))
    assert "Il ne sait pas voir si l'on montre une photo ou un écran" in off
    assert "Détection des photos et écrans : non utilisée" in off

    set_settings(face_site, **{PAD_SETTING: True})
    on = plain(page(face_site, DocumentKind.NOTICE_FAMILIES))
    assert "Il vérifie aussi que l'on ne montre pas une photo ou un écran" in on
    assert "Détection des photos et écrans : en service" in on


def test_contacts_are_printed_and_blanks_mark_what_is_missing(face_site: SiteHandle) -> None:
    bare = plain(page(face_site, DocumentKind.NOTICE_FAMILIES))
    assert "Le chef d'établissement, Lycée Exemple" in bare
    assert bare.count('class="blank') >= 3
    assert facts_of(face_site).information.missing() == (
        "controller_address",
        "dpo",
        "dpo_email",
        "notice_url",
    )

    contacts = InformationSettings(
        controller="Le proviseur du lycée",
        controller_address="1 rue de l'École, 13001 Marseille",
        dpo="DPD de l'académie",
        dpo_email="dpd@ac-exemple.fr",
        notice_url="https://lycee-exemple.fr/donnees",
        recipients=("La Région, qui héberge le serveur",),
    )
    with face_site.session() as session:
        set_information(site_row(session, face_site.site_id), contacts)
    full = plain(page(face_site, DocumentKind.NOTICE_FAMILIES))
    for fragment in (
        "Le proviseur du lycée",
        "1 rue de l'École, 13001 Marseille",
        "DPD de l'académie",
        "dpd@ac-exemple.fr",
        "<li>La Région, qui héberge le serveur</li>",
        "www.cnil.fr/plaintes",
    ):
        assert fragment in full, fragment
    assert 'class="blank' not in full
    sign = page(face_site, DocumentKind.SIGN_A4)
    assert "<svg" in sign and "https://lycee-exemple.fr/donnees" in sign  # the QR code


def test_the_version_follows_what_the_documents_print_and_nothing_else(
    face_site: SiteHandle,
) -> None:
    first = facts_of(face_site).version
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    with face_site.session() as session:
        person = add_person(
            session,
            face_site.site_id,
            NewPerson("Durand", "Alix", date(1980, 1, 1), Role.STAFF),
            now=NOW,
        )
        grant_consent(session, face_site.site_id, person, by=None, now=NOW)
    with face_site.session() as session:
        later = notices.gather(session, face_site.site_id, now=NOW + timedelta(days=30))
    assert later.version == first  # people, consents and time are not configuration

    changes = []
    set_settings(face_site, face_model="dlib-resnet-v1")
    changes.append(facts_of(face_site).version)
    set_settings(face_site, **{PAD_SETTING: True})
    changes.append(facts_of(face_site).version)
    with face_site.session() as session:
        set_template_store(site_row(session, face_site.site_id), TemplateStore.CENTRAL)
    changes.append(facts_of(face_site).version)
    with face_site.session() as session:
        set_information(site_row(session, face_site.site_id), InformationSettings(dpo="DPD"))
    changes.append(facts_of(face_site).version)
    changes.append(facts_of(face_site, RetentionPolicy(passages=timedelta(days=30))).version)
    set_lane_face(face_site, "sortie", True)
    changes.append(facts_of(face_site).version)
    assert len({first, *changes}) == len(changes) + 1


def _cast_into(site: SiteHandle) -> list[tuple[str, str, date, str]]:
    """The demo school's people and the test people, added to the site, some consenting:
    (last name, first name, birth date, person id) of each."""
    added: list[tuple[str, str, date, str]] = []
    ids: dict[str, str] = {}
    with site.session() as session:
        for member in sorted(CAST, key=lambda m: m.guardian is not None):
            born = date(NOW.year - member.age - 1, 3, 1 + len(member.key))
            role = {"parent": Role.PARENT, "élève": Role.STUDENT, "personnel": Role.STAFF}.get(
                member.role, Role.CONTRACTOR
            )
            guardians = (ids[member.guardian],) if member.guardian else ()
            new = NewPerson(member.last_name, member.first_name, born, role, (), guardians)
            ids[member.key] = add_person(session, site.site_id, new, now=NOW)
            added.append((member.last_name, member.first_name, born, ids[member.key]))
            if member.consent:
                by = ids[member.guardian] if member.guardian else None
                giver = ConsentGiver.PARENT if by else None
                grant_consent(session, site.site_id, ids[member.key], by=by, now=NOW, giver=giver)
        for last, first, born in (
            ("Martin", "Camille", date(1980, 6, 1)),
            ("Bernard", "Paul", date(1975, 3, 3)),
        ):
            person = add_person(
                session, site.site_id, NewPerson(last, first, born, Role.STAFF), now=NOW
            )
            added.append((last, first, born, person))
    return added


def personal_data_in(text: str, people: list[tuple[str, str, date, str]]) -> list[str]:
    """Every name, birth date or person id of ``people`` found in ``text``."""
    found = []
    for last, first, born, person_id in people:
        for token in (last, first, person_id):
            if re.search(rf"(?<!\w){re.escape(token)}(?!\w)", text):
                found.append(token)
        for shown in (born.strftime("%d/%m/%Y"), born.isoformat()):
            if shown in text:
                found.append(shown)
    return found


def test_no_one_is_named_in_the_generic_documents(face_site: SiteHandle) -> None:
    people = _cast_into(face_site)
    assert len(people) > 40
    léa = next(p for p in people if p[1] == "Léa")
    assert personal_data_in(f"Léa Martin, née le {léa[2]:%d/%m/%Y}", people) != []
    facts = facts_of(face_site)
    assert facts.consents_remain
    for document in notices.render_all(facts):
        assert personal_data_in(document.html, people) == [], document.kind


def test_the_withdrawal_form_stays_while_consents_remain_after_faces_are_turned_off(
    face_site: SiteHandle,
) -> None:
    _cast_into(face_site)
    set_lane_face(face_site, "entree", False)
    offered = facts_of(face_site).offered
    assert DocumentKind.WITHDRAWAL in offered and DocumentKind.CONSENT_ADULT not in offered


@pytest.mark.parametrize("face", [True, False])
def test_the_pupils_notice_reads_in_the_target_band(tmp_path: Path, face: bool) -> None:
    site = new_site(tmp_path / "site", face=face)
    set_settings(site, face_model="dlib-resnet-v1")
    facts = facts_of(site)
    measured = notices.readability(notices.render(facts, DocumentKind.NOTICE_FAMILIES))
    site.close()
    assert measured.words > 250 and measured.sentences > 25
    assert PUPILS_BAND[0] <= measured.score <= PUPILS_BAND[1], measured.as_json()
    assert measured.words_per_sentence <= 15


def test_french_typography_spaces_high_punctuation_in_text_only() -> None:
    html = "<style>p { margin: 0; }</style><p>Qui ? Vous : oui ; « non » &amp; <b>x</b> : y !</p>"
    assert french_typography(html) == (
        "<style>p { margin: 0; }</style>"
        "<p>Qui\u202f? Vous\u00a0: oui\u202f; «\u00a0non\u00a0» &amp; <b>x</b>\u00a0: y\u202f!</p>"
    )

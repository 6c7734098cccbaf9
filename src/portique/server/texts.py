"""The console's words in French (by default) and English, and the language of a request."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import Request

LANGUAGES = ("fr", "en")
LANG_COOKIE = "portique_lang"

TEXTS: Mapping[str, tuple[str, str]] = {
    "app": ("Portique", "Portique"),
    "login": ("Connexion", "Sign in"),
    "csrf_login": (
        "Formulaire périmé : recommencez la connexion.",
        "The form is stale: sign in again.",
    ),
    "username": ("Identifiant", "Account name"),
    "password": ("Mot de passe", "Password"),
    "sign_in": ("Se connecter", "Sign in"),
    "sign_out": ("Se déconnecter", "Sign out"),
    "live": ("Passages en direct", "Live passages"),
    "alerts": ("Alertes", "Alerts"),
    "lockdown": ("Mise en sûreté", "Lockdown"),
    "roster": ("Liste des présents", "On-site roster"),
    "people": ("Personnes", "People"),
    "lane": ("Voie", "Lane"),
    "time": ("Heure", "Time"),
    "decision": ("Décision", "Decision"),
    "reasons": ("Motifs", "Reasons"),
    "person": ("Personne", "Person"),
    "unknown": ("inconnue", "unknown"),
    "no_passage": ("Aucun passage pour l'instant.", "No passage yet."),
    "no_alert": ("Aucune alerte en attente.", "No alert waiting."),
    "acknowledge": ("Acquitter", "Acknowledge"),
    "grant": ("Autoriser", "Grant"),
    "deny": ("Refuser", "Deny"),
    "decision_reason": ("Motif de la décision", "Reason for the decision"),
    "handled_by": ("Traité par", "Handled by"),
    "acknowledged": ("Acquittée", "Acknowledged"),
    "lockdown_in_force": ("Mise en sûreté en cours depuis", "Lockdown in force since"),
    "lockdown_none": ("Aucune mise en sûreté en cours.", "No lockdown in force."),
    "lockdown_start": ("Déclencher la mise en sûreté", "Start the lockdown"),
    "lockdown_end": ("Lever la mise en sûreté", "End the lockdown"),
    "lockdown_confirm": (
        "Je confirme : toutes les entrées seront refusées.",
        "I confirm: every entry will be refused.",
    ),
    "lockdown_release_confirm": (
        "Je confirme la levée de la mise en sûreté.",
        "I confirm the end of the lockdown.",
    ),
    "confirm_needed": (
        "Cochez la case de confirmation pour continuer.",
        "Tick the confirmation box to go on.",
    ),
    "declared_by": ("déclarée par", "declared by"),
    "print": ("Imprimer", "Print"),
    "on_site_count": ("personnes présentes", "people on site"),
    "name": ("Nom", "Name"),
    "first_name": ("Prénom", "First name"),
    "birth_date": ("Date de naissance", "Birth date"),
    "role": ("Rôle", "Role"),
    "class": ("Classe", "Class"),
    "since": ("Depuis", "Since"),
    "add_person": ("Ajouter une personne", "Add a person"),
    "add": ("Ajouter", "Add"),
    "consent": ("Consentement", "Consent"),
    "credentials": ("Titres d'accès", "Credentials"),
    "issue_card": ("Délivrer une carte", "Issue a card"),
    "issued": ("Titre délivré", "Credential issued"),
    "revoke": ("Révoquer", "Revoke"),
    "revoke_reason": ("Motif de la révocation", "Reason for revoking"),
    "revoked": ("Révoqué", "Revoked"),
    "yes": ("oui", "yes"),
    "no": ("non", "no"),
    "forbidden": ("Accès refusé", "Access denied"),
    "error": ("Erreur", "Error"),
    "back": ("Retour", "Back"),
    "connected": ("En direct", "Live"),
    "disconnected": ("Connexion perdue, reconnexion…", "Connection lost, reconnecting…"),
    "language": ("English", "Français"),
    "student": ("élève", "student"),
    "staff": ("personnel", "staff"),
    "parent": ("parent", "parent"),
    "contractor": ("prestataire", "contractor"),
    "visitor": ("visiteur", "visitor"),
    "manual_grant": ("Autorisé par l'agent", "Granted by the agent"),
    "manual_deny": ("Refusé par l'agent", "Denied by the agent"),
}


def negotiate(request: Request) -> str:
    """``?lang=``, else the language chosen before (cookie), else Accept-Language, else fr."""
    asked = request.query_params.get("lang", "").strip().lower()[:2]
    if asked in LANGUAGES:
        return asked
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    weighted: list[tuple[float, str]] = []
    for part in request.headers.get("Accept-Language", "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().lower()[:2]
        if code in LANGUAGES:
            weighted.append((quality, code))
    if weighted:
        return max(weighted, key=lambda item: item[0])[1]
    return "fr"


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)``: the console text ``key`` in ``lang``."""
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str) -> str:
        pair = TEXTS.get(key)
        return key if pair is None else pair[index]

    return t

"""The console's words in French (by default) and English, and the language of a request."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import Request

from portique.i18n import process_language

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
    "registers": ("Registres", "Registers"),
    "departures": ("Départs", "Departures"),
    "documents": ("Documents", "Documents"),
    "lane": ("Voie", "Lane"),
    "time": ("Heure", "Time"),
    "decision": ("Décision", "Decision"),
    "reasons": ("Motifs", "Reasons"),
    "person": ("Personne", "Person"),
    "unknown": ("inconnue", "unknown"),
    "no_passage": ("Aucun passage pour l'instant.", "No passage yet."),
    "no_alert": ("Aucune alerte en attente.", "No alert waiting."),
    "lane_offline": ("Voie hors ligne", "Lane offline"),
    "last_seen": ("dernier signe de vie", "last heard from"),
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
    # Administration: navigation
    "import": ("Import CSV", "CSV import"),
    "lanes_timetables": ("Voies et horaires", "Lanes and timetables"),
    "role_unknown": ("Rôle inconnu.", "Unknown role."),
    "guardian": ("Représentant légal", "Guardian"),
    "guardians": ("Représentants légaux", "Guardians"),
    "none": ("aucun", "none"),
    "minor": ("mineur", "minor"),
    "adult": ("majeur", "adult"),
    # CSV import
    "import_title": ("Importer des personnes (CSV)", "Import people (CSV)"),
    "import_help": (
        "Un export CSV de la vie scolaire (SIECLE, Pronote…) avec au moins les colonnes Nom, "
        "Prénom et Né(e) le, et si besoin Classe et Rôle : séparé par des points-virgules "
        "ou des virgules, en UTF-8 ou Windows-1252, dates jj/mm/aaaa. Les lignes refusées "
        "sont listées avec leur motif ; si le fichier est illisible, rien n'est importé.",
        "A CSV export of the school software (SIECLE, Pronote…) with at least the columns "
        "Nom (last name), Prénom (first name) and Né(e) le (birth date), and Classe and Rôle "
        "if needed: separated by semicolons or commas, in UTF-8 or Windows-1252, dates "
        "dd/mm/yyyy. Refused lines are listed with their reason; if the file cannot be "
        "read, nothing is imported.",
    ),
    "import_file": ("Fichier CSV", "CSV file"),
    "import_send": ("Importer", "Import"),
    "import_choose": ("Choisissez un fichier CSV.", "Choose a CSV file."),
    "import_report": ("Compte rendu de l'import", "Import report"),
    "imported_count": ("personne(s) importée(s)", "person(s) imported"),
    "rejected_count": ("ligne(s) refusée(s)", "line(s) refused"),
    "nothing_imported": ("Rien n'a été importé.", "Nothing was imported."),
    "read_as": ("Lu en", "Read as"),
    "separator": ("séparateur", "separator"),
    "classes_created": ("Classes créées", "Classes created"),
    "people_added": ("Personnes ajoutées", "People added"),
    "rejected_lines": ("Lignes refusées", "Refused lines"),
    "line": ("Ligne", "Line"),
    "reason": ("Motif", "Reason"),
    # Consent
    "consent_in_force": ("Consentement en vigueur", "Consent in force"),
    "consent_none": (
        "Aucun consentement en vigueur : la voie ne compare jamais le visage de cette personne.",
        "No consent in force: the lane never compares this person's face.",
    ),
    "given_by": ("donné par", "given by"),
    "on_date": ("le", "on"),
    "giver_self": ("la personne elle-même", "the person themself"),
    "giver_parent": ("parent", "parent"),
    "giver_legal_guardian": ("tuteur légal", "legal guardian"),
    "giver_unknown": (
        "Qualité inconnue : parent ou tuteur légal.",
        "Unknown capacity: parent or legal guardian.",
    ),
    "capacity": ("Qualité", "Capacity"),
    "last_withdrawn": ("Dernier consentement retiré le", "Last consent withdrawn on"),
    "by": ("par", "by"),
    "consent_adult": (
        "Personne majeure : elle consent elle-même.",
        "An adult: they consent themself.",
    ),
    "consent_minor": (
        "Personne mineure : le consentement est donné par un de ses représentants légaux.",
        "A minor: consent is given by one of their guardians.",
    ),
    "no_guardian": (
        "Aucun représentant légal enregistré : ajoutez-en un avant de recueillir le consentement.",
        "No guardian recorded: add one before recording the consent.",
    ),
    "grant_consent": ("Enregistrer le consentement", "Record the consent"),
    "withdraw_consent": ("Retirer le consentement", "Withdraw the consent"),
    "asked_by": ("Demandé par", "Asked by"),
    "withdraw_confirm": (
        "Je confirme le retrait : tout titre d'accès portant le visage enrôlé de la personne "
        "est révoqué aussitôt et remplacé par un titre sans visage, remis ci-dessous.",
        "I confirm the withdrawal: every credential carrying the person's enrolled face is "
        "revoked at once and replaced by one without face, handed over below.",
    ),
    "withdraw_by_unknown": (
        "Le retrait est demandé par la personne ou par l'un de ses représentants légaux.",
        "The withdrawal is asked by the person or by one of their guardians.",
    ),
    "withdrawn_done": (
        "Consentement retiré. Titres d'accès révoqués :",
        "Consent withdrawn. Credentials revoked:",
    ),
    "face_credentials": (
        "titre(s) d'accès actif(s) avec visage enrôlé",
        "active credential(s) with an enrolled face",
    ),
    # Credentials and cards
    "credential": ("Titre d'accès", "Credential"),
    "kind": ("Type", "Kind"),
    "valid_until": ("Valable jusqu'au", "Valid until"),
    "face_enrolled": ("Visage enrôlé", "Face enrolled"),
    "status": ("État", "Status"),
    "active": ("actif", "active"),
    "card": ("carte", "card"),
    "phone": ("téléphone", "phone"),
    "badge": ("badge", "badge"),
    "revoked_consent": ("consentement retiré", "consent withdrawn"),
    "card_handover": ("Remise de la carte", "Hand-over of the card"),
    "card_show": ("Afficher pour imprimer", "Show to print"),
    "card_png": ("Télécharger en PNG", "Download as PNG"),
    "card_pdf": ("Télécharger en PDF", "Download as PDF"),
    "card_choice": ("Choisissez : afficher, PNG ou PDF.", "Choose: show, PNG or PDF."),
    "card_once": (
        "La carte porte le titre d'accès : elle n'est remise qu'une fois, à la délivrance, "
        "et le serveur ne la garde pas. Carte perdue : révoquez-la et délivrez-en une autre.",
        "The card carries the credential: it is handed over once, when issued, and the "
        "server does not keep it. A lost card: revoke it and issue another.",
    ),
    "revoked_phone_replaced": ("remplacé par un autre téléphone", "replaced by another phone"),
    "phone_pass": ("Titre sur téléphone", "Phone pass"),
    "phone_link_create": ("Créer un lien d'enrôlement", "Create an enrolment link"),
    "phone_link_help": (
        "La personne ouvre ce lien sur son téléphone, ou y scanne ce QR code, une seule fois : "
        "le téléphone crée sa clé, qui ne le quitte jamais, et reçoit son titre, un QR code "
        "qui change toutes les 5 secondes. Un nouveau téléphone remplace l'ancien ; un "
        "téléphone perdu : révoquez son titre.",
        "The person opens this link on their phone, or scans this QR code with it, once: the "
        "phone makes its key, which never leaves it, and receives its pass, a QR code that "
        "changes every 5 seconds. A new phone replaces the old one; a lost phone: revoke its "
        "pass.",
    ),
    "phone_link_shown": ("Lien à usage unique, valable jusqu'au", "Single-use link, valid until"),
    "phone_link_once": (
        "Il n'est affiché qu'ici, une fois, et n'est pas conservé.",
        "It is shown here once and is not kept.",
    ),
    "phone_link_qr": ("QR code du lien d'enrôlement", "QR code of the enrolment link"),
    # Lanes and timetables
    "site_setup_note": (
        "Voici ce que les voies appliquent ; une modification les atteint à leur décision "
        "suivante.",
        "This is what the lanes apply; a change reaches them at their next decision.",
    ),
    "timezone": ("Fuseau horaire", "Time zone"),
    "zones": ("Zones", "Zones"),
    "zone": ("Zone", "Zone"),
    "lanes": ("Voies", "Lanes"),
    "direction": ("Sens", "Direction"),
    "direction_in": ("entrée", "in"),
    "direction_out": ("sortie", "out"),
    "face_comparison": ("Comparaison faciale", "Face comparison"),
    "face_site_on": (
        "L'établissement propose la comparaison faciale à qui y a consenti, sur les voies "
        "marquées « proposée ».",
        "The site offers face comparison to those who consented, at the lanes marked “offered”.",
    ),
    "face_site_off": (
        "L'établissement ne propose pas la comparaison faciale : aucune voie ne compare de visage.",
        "The site does not offer face comparison: no lane compares faces.",
    ),
    "offered": ("proposée", "offered"),
    "offer_face": ("Proposer", "Offer"),
    "stop_face": ("Ne plus proposer", "Stop offering"),
    "lane_face_note": (
        "Une voie ne compare un visage que si l'établissement propose la comparaison faciale, "
        "et seulement pour qui y a consenti.",
        "A lane compares a face only when the site offers face comparison, and only for those "
        "who consented.",
    ),
    "edit": ("Modifier", "Edit"),
    "save": ("Enregistrer", "Save"),
    "week_help": (
        "Une ligne par jour : des plages séparées par des virgules, comme "
        "08:00-12:00, 13:30-17:00 ; vide pour un jour fermé.",
        "One line per day: ranges separated by commas, like 08:00-12:00, 13:30-17:00; "
        "empty for a closed day.",
    ),
    "time_ranges": ("Plages horaires", "Time ranges"),
    "lunch_window": ("Pause déjeuner", "Lunch break"),
    "edit_timetable_of": ("Modifier l'emploi du temps de", "Edit the timetable of"),
    "offered_choice": ("Choix invalide : « yes » ou « no ».", "Invalid choice: “yes” or “no”."),
    "field_too_long": ("Un champ est trop long.", "A field is too long."),
    "not_offered": ("non proposée", "not offered"),
    "opening_hours": ("Horaires d'ouverture", "Opening hours"),
    "calendar": ("Calendrier de l'établissement", "Site calendar"),
    "class_timetables": ("Emplois du temps des classes", "Class timetables"),
    "exceptions": ("Exceptions", "Exceptions"),
    "no_exception": ("Aucune exception.", "No exception."),
    "no_class": ("Aucune classe.", "No class."),
    "closed": ("fermé", "closed"),
    "lunch": ("déjeuner", "lunch"),
    "lunch_legend": (
        "Les heures de cours de chaque jour ; entre parenthèses, la pause déjeuner.",
        "Each day's lesson hours; in brackets, the lunch break.",
    ),
    "monday": ("Lundi", "Monday"),
    "tuesday": ("Mardi", "Tuesday"),
    "wednesday": ("Mercredi", "Wednesday"),
    "thursday": ("Jeudi", "Thursday"),
    "friday": ("Vendredi", "Friday"),
    "saturday": ("Samedi", "Saturday"),
    "sunday": ("Dimanche", "Sunday"),
    "holiday": ("vacances", "holiday"),
    "closure": ("fermeture", "closure"),
    "special": ("horaires particuliers", "special day"),
    # Visitors (portique.visitors)
    "visitors": ("Visiteurs", "Visitors"),
    "refusals": ("Interdictions d'accès", "Refusal list"),
    "reception": ("accueil", "reception"),
    "host": ("Reçu par", "Host"),
    "purpose": ("Objet", "Purpose"),
    "expected": ("Attendu", "Expected"),
    "visits_current": ("Visites attendues et en cours", "Visits expected and under way"),
    "visits_ended": ("Visites terminées aujourd'hui", "Visits over today"),
    "no_visit": ("Aucune visite attendue.", "No visit expected."),
    "visit_expected": ("attendu", "expected"),
    "visit_on_site": ("sur place", "on site"),
    "visit_left": ("parti", "left"),
    "visit_cancelled": ("annulée", "cancelled"),
    "visit_refused": ("refusé", "refused"),
    "check_in": ("Enregistrer l'arrivée", "Check in"),
    "check_out": ("Enregistrer le départ", "Check out"),
    "invite_visitor": ("Inviter un visiteur", "Invite a visitor"),
    "invite": ("Inviter", "Invite"),
    "walk_in": ("Visiteur sans rendez-vous", "Walk-in visitor"),
    "walk_in_help": (
        "Nom, prénom et objet suffisent : aucune pièce d'identité n'est copiée. Le visiteur "
        "est enregistré à l'arrivée et reçoit son badge.",
        "Names and purpose are enough: no identity document is copied. The visitor is "
        "checked in and gets a badge.",
    ),
    "birth_date_refusal_help": (
        "Facultative : elle ne sert qu'à vérifier la liste des interdictions d'accès.",
        "Optional: only used to check the refusal list.",
    ),
    "register": ("Enregistrer", "Register"),
    "email": ("E-mail", "E-mail"),
    "visit_day": ("Jour", "Day"),
    "arrival": ("Arrivée", "Arrival"),
    "departure": ("Départ", "Departure"),
    "zones_allowed": ("Zones autorisées", "Zones allowed"),
    "visitor_badge": ("Badge visiteur", "Visitor badge"),
    "badge_pdf": ("Télécharger le badge (PDF, format CR80)", "Download the badge (PDF, CR80)"),
    "zones_all_help": ("Aucune cochée : toutes les zones.", "None ticked: every zone."),
    "not_let_through": ("Refusé", "Refused"),
    "scan_pass": ("Laissez-passer lu", "Pass scanned"),
    "pass_once": (
        "Le laissez-passer n'est montré qu'une fois : imprimez-le maintenant. Le serveur ne le "
        "garde pas.",
        "The pass is shown once: print it now. The server does not keep it.",
    ),
    "visitor_pass": ("Laissez-passer", "Visitor pass"),
    "pass_sent": ("Laissez-passer envoyé à", "Pass sent to"),
    "pass_not_sent": (
        "Pas d'adresse e-mail : imprimez le laissez-passer.",
        "No e-mail address: print the pass.",
    ),
    "visitor_barred": (
        "Accès refusé : cette personne fait l'objet d'une interdiction d'accès. Prévenez la "
        "direction.",
        "Access refused: this person is barred from the site. Tell the administration.",
    ),
    "visit_path": ("Parcours", "Path"),
    "no_path": ("Aucun passage pour l'instant.", "No checkpoint yet."),
    "event_check_in": ("Arrivée", "Check-in"),
    "event_checkpoint": ("Point de passage", "Checkpoint"),
    "event_check_out": ("Départ", "Check-out"),
    "event_refused": ("Refus", "Refused"),
    "visit_alert_outside_window": (
        "Laissez-passer utilisé hors de sa plage horaire",
        "Pass used outside its time window",
    ),
    "visit_alert_wrong_zone": ("Visiteur hors de ses zones", "Visitor outside their zones"),
    "visit_alert_overstay": ("Visite prolongée au-delà de l'heure prévue", "Visitor overstaying"),
    "visit_alert_not_checked_out": (
        "Visiteur sans départ enregistré à la fermeture",
        "Visitor not checked out at closing",
    ),
    "visit_alert_pass_reused": (
        "Laissez-passer présenté deux fois sans départ",
        "Pass presented twice without check-out",
    ),
    "visit_alert_barred": ("Personne interdite d'accès", "Person barred from the site"),
    "refusals_help": (
        "Personnes interdites d'accès par décision de justice ou du chef d'établissement, "
        "identifiées par leur nom et leur date de naissance, jamais par leur visage. Chaque "
        "modification est inscrite au journal d'audit.",
        "People barred by a court order or the head teacher, identified by name and birth "
        "date, never by face. Every change goes to the audit log.",
    ),
    "refusal_reason": ("Motif", "Reason"),
    "ordered_by": ("Décidée par", "Ordered by"),
    "ordered_by_court": ("décision de justice", "court order"),
    "ordered_by_head_teacher": ("chef d'établissement", "head teacher"),
    "until": ("Jusqu'au", "Until"),
    "in_force": ("en vigueur", "in force"),
    "lift": ("Lever", "Lift"),
    "lifted": ("levée", "lifted"),
    "ended": ("terminée", "ended"),
    "no_refusal": ("Aucune interdiction d'accès.", "No one is barred."),
    "add_refusal": ("Ajouter une interdiction", "Bar someone"),
}


def negotiate(request: Request) -> str:
    """``?lang=``, else the language chosen before (cookie), else Accept-Language, else the
    process's (French unless PORTIQUE_LANG or the locale says otherwise)."""
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
    return process_language()


def translator(lang: str, table: Mapping[str, tuple[str, str]] = TEXTS) -> Callable[[str], str]:
    """``t(key)``: the console text ``key`` in ``lang`` (from ``table``: a page's own
    words, or by default those every page shares)."""
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str) -> str:
        pair = table.get(key)
        return key if pair is None else pair[index]

    return t

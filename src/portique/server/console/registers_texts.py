"""The words of the console's register pages, in French (by default) and English."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from portique.server.texts import translator

REGISTER_TEXTS: Mapping[str, tuple[str, str]] = {
    "title": ("Registres de l'établissement", "School registers"),
    "help": (
        "Déposez l'export SIECLE « élèves » (ElevesSansAdresses.xml ou ElevesAvecAdresses.xml, "
        "ou l'archive ExportXML_….zip) et, si vous l'avez, l'export « responsables ». "
        "Portique montre d'abord ce que l'import ferait ; rien n'est écrit avant votre "
        "confirmation. Un élève absent de l'export, ou dont la date de sortie est passée, "
        "perd aussitôt ses titres d'accès.",
        "Upload SIECLE's pupils export (ElevesSansAdresses.xml or ElevesAvecAdresses.xml, "
        "or the ExportXML_….zip archive) and, if you have it, the guardians export. "
        "Portique first shows what the import would do; nothing is written before you "
        "confirm. A pupil missing from the export, or whose leaving date has passed, loses "
        "their credentials at once.",
    ),
    "pupils_file": ("Export « élèves »", "Pupils export"),
    "guardians_file": ("Export « responsables » (facultatif)", "Guardians export (optional)"),
    "preview": ("Aperçu de l'import", "Preview the import"),
    "preview_title": ("Aperçu : rien n'a encore été écrit", "Preview: nothing written yet"),
    "applied_title": ("Import effectué", "Import done"),
    "apply": ("Appliquer l'import", "Apply the import"),
    "confirm": (
        "Je confirme : les élèves partis perdront tous leurs titres d'accès.",
        "I confirm: pupils who left will lose all their credentials.",
    ),
    "added": ("ajoutés", "added"),
    "updated": ("modifiés", "changed"),
    "left": ("partis", "left"),
    "unchanged": ("inchangés", "unchanged"),
    "revoked": ("titres révoqués", "credentials revoked"),
    "errors": ("lignes en erreur", "lines with errors"),
    "name": ("Nom", "Name"),
    "class": ("Classe", "Class"),
    "detail": ("Détail", "Detail"),
    "element": ("Élément", "Element"),
    "message": ("Problème", "Problem"),
    "more": ("… et d'autres", "… and more"),
    "expired": (
        "Cet aperçu a expiré ou appartient à une autre session : déposez à nouveau les fichiers.",
        "This preview expired or belongs to another session: upload the files again.",
    ),
    "choose": ("Choisissez l'export « élèves ».", "Choose the pupils export."),
    "nothing": ("Rien n'a été importé.", "Nothing was imported."),
    "uai": ("Code UAI de l'établissement", "The school's UAI code"),
    "uai_missing": (
        "Aucun code UAI : enregistrez-le avant d'importer (il doit être celui des exports).",
        "No UAI code: record it before importing (it must be the exports' one).",
    ),
    "save": ("Enregistrer", "Save"),
    "departures": ("Départs récents", "Recent departures"),
    "departures_help": (
        "Élèves sortis de l'établissement ces 30 derniers jours : leurs titres d'accès sont "
        "révoqués et refusés à chaque voie.",
        "Pupils who left in the last 30 days: their credentials are revoked and refused at "
        "every lane.",
    ),
    "no_departure": ("Aucun départ récent.", "No recent departure."),
    "left_on": ("Sorti(e) le", "Left on"),
    "cause": ("Motif", "Cause"),
    "acknowledge_all": ("Tout acquitter", "Acknowledge all"),
    "departure_alert": (
        "A quitté l'établissement : titres révoqués",
        "Left the school: credentials revoked",
    ),
    "acknowledged": ("Vu", "Seen"),
}


def register_translator(lang: str) -> Callable[[str], str]:
    """``r(key)``: the register pages' text ``key`` in ``lang``."""
    return translator(lang, REGISTER_TEXTS)

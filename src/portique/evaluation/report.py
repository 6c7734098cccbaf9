"""The experiment report: evidence for each hypothesis, in French, as HTML and PDF."""

from __future__ import annotations

import base64
import enum
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from portique import clock
from portique.access.reasons import Reason, reason_label
from portique.biometrics.models import KNOWN_MODELS
from portique.biometrics.operating_points import TARGET_FMRS, operating_point
from portique.documents import DocumentRenderError, print_pdf
from portique.errors import BadInputError, ConfigurationError
from portique.evaluation.field import (
    AGE_BANDS,
    MIN_ATTEMPTS,
    MIN_PEOPLE,
    MIN_SAMPLES,
    FieldData,
    FieldOutcomes,
    field_outcomes,
    fitted_modes,
)
from portique.evaluation.plots import (
    write_det_plot,
    write_latency_histogram,
    write_throughput_plot,
    write_wait_plots,
)
from portique.evaluation.scores import LfwIntervals, SubjectScores, lfw_intervals
from portique.evaluation.simulate import (
    Referrals,
    Scenario,
    SimulationResult,
    clock_after,
    simulate,
)

LATENCY_BUDGET_FACE_MS = 50.0
LATENCY_BUDGET_PLAIN_MS = 5.0
"""The lane's decision budgets (DESIGN.md: p95 with and without face comparison)."""
FAR_LIMIT = 1e-3
FRR_LIMIT = 0.05
AVAILABILITY_TARGET = 0.99
MIN_LANE_HOURS = 1

ROLE_LABELS = {
    "student": "élèves",
    "staff": "personnels",
    "parent": "parents",
    "contractor": "prestataires",
    "visitor": "visiteurs",
    "inconnu": "inconnu",
}


class ReportError(BadInputError):
    """The report cannot be written from what was given."""

    code = "bad_input"


class Verdict(enum.StrEnum):
    SUPPORTED = "supported"
    NOT_SUPPORTED = "not_supported"
    NOT_ENOUGH = "not_enough_evidence"

    @property
    def label(self) -> str:
        return {
            Verdict.SUPPORTED: "validée",
            Verdict.NOT_SUPPORTED: "non validée",
            Verdict.NOT_ENOUGH: "preuves insuffisantes",
        }[self]


@dataclass(frozen=True)
class Hypothesis:
    """A claim of the pilot, the evidence gathered, the rule applied and the verdict."""

    key: str
    area: str
    statement: str
    evidence: tuple[str, ...]
    rule: str
    verdict: Verdict

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "area": self.area,
            "statement": self.statement,
            "verdict": self.verdict.value,
        }


@dataclass(frozen=True)
class LfwEvidence:
    """The laboratory evaluation: the JSON of `portique eval lfw` and, with its scores,
    the intervals at the site's threshold."""

    summary: dict[str, Any]
    intervals: LfwIntervals | None
    det_plot: Path | None
    scores: SubjectScores | None = None


@dataclass(frozen=True)
class Report:
    """Everything the report shows."""

    generated_at: datetime
    data: FieldData
    outcomes: FieldOutcomes
    lfw: LfwEvidence | None
    simulation: SimulationResult
    hypotheses: tuple[Hypothesis, ...]
    plots: dict[str, Path]
    limits: tuple[str, ...]
    model: str | None
    operating_point: str
    threshold: float | None
    measured_fnmr: float | None = None
    """The model's FNMR at the operating point, measured on LFW View 2 (all impostors)."""
    licence_note: str = ""

    def summary(self) -> dict[str, object]:
        return {
            "site": self.data.site_id,
            "passages": self.outcomes.passages,
            "hypotheses": [h.as_json() for h in self.hypotheses],
            "plots": {name: str(path) for name, path in self.plots.items()},
            "lfw": self.lfw is not None,
        }


# --- Evidence --------------------------------------------------------------------------


def pct(value: float, digits: int = 2) -> str:
    """A rate in French (12,34 %); a dash when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.{digits}f} %".replace(".", ",")


def num(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")


def reason_text(code: str) -> str:
    """A reason code in plain French (the code itself when unknown)."""
    try:
        return reason_label(Reason(code), "fr")
    except ValueError:
        return code


def read_lfw(path: Path, *, threshold: float | None, operating: str, seed: int) -> LfwEvidence:
    """The summary `portique eval lfw --json` wrote; with its scores file, the intervals.

    Raises:
        ReportError: the file is missing or is not such a summary.
    """
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReportError(f"cannot read the LFW summary {path}: {error}.") from None
    if not isinstance(summary, dict) or "fnmr_at_fmr_1e-4" not in summary:
        raise ReportError(f"{path} is not a summary written by `portique eval lfw --json`.")
    intervals = None
    scores_name = summary.get("scores_file")
    if isinstance(scores_name, str):
        scores_path = Path(scores_name)
        if not scores_path.is_absolute():
            scores_path = path.parent / scores_path
        scores = SubjectScores.load(scores_path)
        if threshold is None:
            threshold = _model_threshold(str(summary.get("model")), operating)
        if threshold is not None:
            intervals = lfw_intervals(
                scores,
                threshold=threshold,
                operating_point=operating,
                target_fmrs=dict(TARGET_FMRS),
                seed=seed,
            )
        return LfwEvidence(summary, intervals, None, scores)
    det = path.parent / "det.png"
    return LfwEvidence(summary, None, det if det.is_file() else None)


def _model_threshold(model: str, operating: str) -> float | None:
    try:
        return operating_point(model, operating).threshold
    except ConfigurationError:
        return None


def _rate_verdict(low: float, high: float, limit: float) -> Verdict:
    if high <= limit:
        return Verdict.SUPPORTED
    if low > limit:
        return Verdict.NOT_SUPPORTED
    return Verdict.NOT_ENOUGH


@dataclass(frozen=True)
class Evidence:
    """What the verdicts are drawn from."""

    outcomes: FieldOutcomes
    lfw: LfwEvidence | None
    simulation: SimulationResult
    lanes: int


def hypotheses(
    outcomes: FieldOutcomes,
    lfw: LfwEvidence | None,
    simulation: SimulationResult,
    lanes: int,
) -> tuple[Hypothesis, ...]:
    """Each hypothesis of the pilot with its evidence and verdict, by the rule it states."""
    evidence = Evidence(outcomes, lfw, simulation, lanes)
    return (
        _security_credentials(evidence),
        _security_face(evidence),
        _reliability_face(evidence),
        _reliability_lanes(evidence),
        _efficiency_latency(evidence),
        *_efficiency_modes(evidence),
    )


def _security_credentials(e: Evidence) -> Hypothesis:
    """Security: old cards."""
    outcomes = e.outcomes
    stopped, granted = outcomes.intrusions_stopped, outcomes.intrusions_granted
    presented = outcomes.intrusions_presented
    alerted = outcomes.intrusions_alerted
    verdict = (
        Verdict.NOT_ENOUGH
        if presented == 0
        else Verdict.NOT_SUPPORTED
        if granted or alerted < presented
        else Verdict.SUPPORTED
    )
    return Hypothesis(
        "security_credentials",
        "Sécurité",
        "Un titre d'accès révoqué ou expiré (ancienne carte, carte perdue) est refusé à la "
        "voie et l'agent est alerté.",
        (
            f"{presented} présentation(s) de titre révoqué ou expiré : {stopped} "
            f"refusée(s), {granted} acceptée(s), {alerted} avec alerte de l'agent.",
            "Motifs des refus : "
            + (
                ", ".join(
                    f"{reason_text(k).lower()} {v}" for k, v in outcomes.refused_by_reason.items()
                )
                or "aucun refus"
            ),
        ),
        "Validée si au moins une tentative a été observée, qu'aucune n'a été acceptée et "
        "que chacune a alerté l'agent ; non validée sinon ; sans tentative, preuves "
        "insuffisantes.",
        verdict,
    )


def _security_face(e: Evidence) -> Hypothesis:
    """Security: false accepts of the face comparison."""
    lfw = e.lfw
    if lfw is not None and lfw.intervals is not None:
        far = lfw.intervals.far
        evidence: tuple[str, ...] = (
            f"FAR système sur LFW au seuil {num(lfw.intervals.threshold, 4)} "
            f"({lfw.intervals.operating_point}) : {far.value:.2e} "
            f"(IC 95 % {far.low:.2e} – {far.high:.2e}, rééchantillonnage des personnes).",
        )
        verdict = _rate_verdict(far.low, far.high, FAR_LIMIT)
    else:
        evidence = ("Pas d'évaluation LFW avec scores par personne (--lfw, eval lfw --scores).",)
        verdict = Verdict.NOT_ENOUGH
    return Hypothesis(
        "security_face",
        "Sécurité",
        "La comparaison faciale 1:1 accepte à tort au plus un imposteur sur "
        f"{round(1 / FAR_LIMIT):,}.".replace(",", " "),
        evidence,
        "Validée si la borne haute de l'IC 95 % du FAR ≤ 1e-3 ; non validée si la borne "
        "basse le dépasse ; sinon preuves insuffisantes.",
        verdict,
    )


def _reliability_face(e: Evidence) -> Hypothesis:
    """Reliability: genuine people recognised in the field."""
    lfw = e.lfw
    overall = e.outcomes.face_overall
    lab = ""
    if lfw is not None and lfw.intervals is not None:
        frr = lfw.intervals.frr
        lab = (
            f"En laboratoire (LFW) : FRR {pct(frr.value)} "
            f"(IC 95 % {pct(frr.low)} – {pct(frr.high)})."
        )
    if overall is not None and overall.frr is not None:
        frr = overall.frr
        evidence = (
            f"Sur le terrain : {overall.attempts} comparaisons de {overall.people} personnes, "
            f"FRR {pct(frr.value)} (IC 95 % {pct(frr.low)} – {pct(frr.high)}).",
        )
        verdict = _rate_verdict(frr.low, frr.high, FRR_LIMIT)
    else:
        attempts = overall.attempts if overall else 0
        evidence = (
            f"Sur le terrain : {attempts} comparaison(s), moins que le minimum de "
            f"{MIN_ATTEMPTS} comparaisons de {MIN_PEOPLE} personnes.",
        )
        verdict = Verdict.NOT_ENOUGH
    return Hypothesis(
        "reliability_face",
        "Fiabilité",
        f"Les personnes qui ont consenti sont reconnues : au plus {pct(FRR_LIMIT, 0)} de "
        "rejets à tort (FRR système, échecs d'acquisition compris).",
        evidence + ((lab,) if lab else ()),
        f"Sur le terrain : validée si la borne haute de l'IC 95 % ≤ {pct(FRR_LIMIT, 0)}, "
        "non validée si la borne basse le dépasse ; le laboratoire n'est qu'indicatif.",
        verdict,
    )


def _reliability_lanes(e: Evidence) -> Hypothesis:
    """Reliability: lanes available."""
    outcomes = e.outcomes
    observed = outcomes.lane_seconds
    if observed >= MIN_LANE_HOURS * 3600:
        availability = 1.0 - outcomes.offline_seconds / observed
        evidence = (
            f"{len(outcomes.offline)} période(s) hors ligne, {num(outcomes.offline_seconds / 60)} "
            f"min au total sur {num(observed / 3600)} h de voie observées "
            f"({e.lanes} voie(s)) : disponibilité {pct(availability)}.",
        )
        verdict = (
            Verdict.SUPPORTED if availability >= AVAILABILITY_TARGET else Verdict.NOT_SUPPORTED
        )
    else:
        evidence = (
            f"{num(observed / 3600, 2)} h de voie couvertes par l'historique d'état "
            f"(moins de {MIN_LANE_HOURS} h).",
        )
        verdict = Verdict.NOT_ENOUGH
    return Hypothesis(
        "reliability_lanes",
        "Fiabilité",
        f"Les voies restent disponibles au moins {pct(AVAILABILITY_TARGET, 0)} du temps observé.",
        evidence,
        "Disponibilité = 1 − durée hors ligne / durée observée (de la première "
        f"connexion de chaque voie à la fin de la période), comparée à 99 %, dès "
        f"{MIN_LANE_HOURS} h de voie observées.",
        verdict,
    )


def _efficiency_latency(e: Evidence) -> Hypothesis:
    """Efficiency: decision time."""
    outcomes = e.outcomes
    checks: list[tuple[str, Any, float]] = [
        ("avec visage", outcomes.latency_face, LATENCY_BUDGET_FACE_MS),
        ("sans visage", outcomes.latency_no_face, LATENCY_BUDGET_PLAIN_MS),
    ]
    measured = [
        (name, latency, budget)
        for name, latency, budget in checks
        if latency is not None and latency.count >= MIN_SAMPLES
    ]
    if measured:
        evidence = tuple(
            f"Décision {name} : p95 {num(latency.p95, 2)} ms sur {latency.count} passages "
            f"(budget {num(budget, 0)} ms)."
            for name, latency, budget in measured
        )
        verdict = (
            Verdict.SUPPORTED
            if all(latency.p95 <= budget for _, latency, budget in measured)
            else Verdict.NOT_SUPPORTED
        )
    else:
        evidence = (f"Moins de {MIN_SAMPLES} passages mesurés.",)
        verdict = Verdict.NOT_ENOUGH
    return Hypothesis(
        "efficiency_latency",
        "Efficacité",
        "La voie décide dans son budget : p95 ≤ 50 ms avec visage, ≤ 5 ms sans.",
        evidence,
        f"Validée si chaque groupe d'au moins {MIN_SAMPLES} passages respecte son budget.",
        verdict,
    )


NO_PAUSE_MARGIN = 0.10
"""The face step must keep the wait p95 within this share of the badge's."""


def _efficiency_face_pause(simulation: SimulationResult) -> Hypothesis:
    """Efficiency: the face step, taken from the approach, does not slow the entrance.

    Judged on the same morning with referred people checked aside (the face step's own
    cost); the wait with referrals checked at the lane is shown beside it."""
    statement = (
        "La comparaison faciale ne ralentit pas l'entrée : le visage est pris pendant "
        "l'approche, sans arrêt devant la caméra."
    )
    rule = (
        f"Validée si, sur la même matinée simulée avec l'étape visage mesurée, l'attente p95 "
        f"reste à {round(NO_PAUSE_MARGIN * 100)} % près de celle du badge seul (renvois "
        "traités à côté de la voie)."
    )
    modes = simulation.modes
    if not {"badge", "badge_face"} <= set(modes):
        missing = ("Les modes badge et badge + visage n'ont pas été simulés.",)
        return Hypothesis(
            "efficiency_face_pause", "Efficacité", statement, missing, rule, Verdict.NOT_ENOUGH
        )
    aside = simulate(
        replace(simulation.scenario, referrals=Referrals.ASIDE),
        {name: modes[name] for name in ("badge", "badge_face")},
        source=simulation.source,
    ).results
    badge, face = aside["badge"], aside["badge_face"]
    step = modes["badge_face"].extra
    at_lane = simulation.results.get("badge_face")
    evidence = [
        f"Étape visage (lecture du titre → décision) : moyenne "
        f"{num((step.mean if step else 0.0) * 1000)} ms ({simulation.source}).",
        f"Attente p95 {num(face.wait_p95)} s avec visage contre {num(badge.wait_p95)} s au "
        "badge seul, renvois traités à côté de la voie.",
    ]
    if at_lane is not None and simulation.scenario.referrals is Referrals.AT_LANE:
        evidence.append(
            f"Si l'agent vérifie les personnes renvoyées à la voie même : attente p95 "
            f"{num(at_lane.wait_p95)} s (les suivants attendent)."
        )
    verdict = (
        Verdict.SUPPORTED
        if face.wait_p95 <= badge.wait_p95 * (1.0 + NO_PAUSE_MARGIN)
        else Verdict.NOT_SUPPORTED
    )
    return Hypothesis(
        "efficiency_face_pause", "Efficacité", statement, tuple(evidence), rule, verdict
    )


def _efficiency_modes(e: Evidence) -> list[Hypothesis]:
    """Efficiency: the pilot's claim that faces let students in faster."""
    simulation = e.simulation
    found: list[Hypothesis] = []
    results = simulation.results
    if {"badge", "badge_face"} <= set(results):
        badge, face = results["badge"], results["badge_face"]
        evidence = (
            f"Simulation de {simulation.scenario.people} élèves sur {simulation.scenario.lanes} "
            f"voies : attente p95 {num(face.wait_p95 / 60)} min avec visage contre "
            f"{num(badge.wait_p95 / 60)} min au badge seul ; dernière entrée à "
            f"{_cleared(simulation, 'badge_face')} contre {_cleared(simulation, 'badge')}.",
        )
        verdict = (
            Verdict.SUPPORTED
            if face.wait_p95 < badge.wait_p95 and face.last_departure_s <= badge.last_departure_s
            else Verdict.NOT_SUPPORTED
        )
    else:
        evidence = ("Les modes badge et badge + visage n'ont pas été simulés.",)
        verdict = Verdict.NOT_ENOUGH
    found.append(
        Hypothesis(
            "efficiency_face",
            "Efficacité",
            "La comparaison faciale fait entrer les élèves plus vite que le badge seul.",
            evidence,
            "Validée si, sur la même matinée simulée, l'attente p95 et l'heure de la dernière "
            "entrée sont meilleures avec visage qu'au badge seul.",
            verdict,
        )
    )
    found.append(_efficiency_face_pause(simulation))
    if {"agent", "badge"} <= set(results):
        agent, badge = results["agent"], results["badge"]
        found.append(
            Hypothesis(
                "efficiency_badge",
                "Efficacité",
                "Le badge fait entrer les élèves plus vite que le contrôle de la carte à l'œil "
                "par un agent.",
                (
                    f"Attente p95 : {num(badge.wait_p95 / 60)} min au badge contre "
                    f"{num(agent.wait_p95 / 60)} min avec l'agent ; dernière entrée à "
                    f"{_cleared(simulation, 'badge')} contre {_cleared(simulation, 'agent')}.",
                ),
                "Validée si l'attente p95 est plus courte au badge sur la même matinée simulée.",
                Verdict.SUPPORTED if badge.wait_p95 < agent.wait_p95 else Verdict.NOT_SUPPORTED,
            )
        )
    return found


def _cleared(simulation: SimulationResult, mode: str) -> str:
    return clock_after(simulation.scenario.start, simulation.results[mode].last_departure_s)


LIMITS = (
    "Les taux de laboratoire viennent de LFW : des photos de presse d'adultes, prises à des "
    "années d'écart ; ils ne disent rien de précis sur des élèves mineurs devant une borne.",
    "Sur le terrain, la vérité n'est connue que par l'agent : une non-concordance qu'il "
    "refuse compte comme une tentative d'imposteur, les autres comme des rejets à tort.",
    "Les intervalles de confiance rééchantillonnent les personnes (les tentatives d'une même "
    "personne ne sont pas indépendantes) ; ils ne couvrent pas les biais d'échantillonnage.",
    "Un groupe (rôle, tranche d'âge) n'a de taux que s'il compte au moins "
    f"{MIN_ATTEMPTS} comparaisons de {MIN_PEOPLE} personnes.",
    "La simulation repose sur un temps de présentation du badge supposé (docs/assessment.md) ; "
    "l'étape visage (lecture du titre → décision, visage pris pendant l'approche) vient de "
    "la mesure sur approche simulée (BENCHMARKS.md) ou des passages de l'établissement, et "
    "le taux de renvoi des passages quand il y en a assez.",
    "Les périodes hors ligne ne comptent que les changements d'état enregistrés par le "
    "serveur (déconnexion signalée, retour) ; un silence sans déconnexion n'y figure pas.",
)


# --- Building and writing ----------------------------------------------------------------


def build_report(
    data: FieldData,
    out_dir: Path,
    *,
    lfw_json: Path | None = None,
    scenario: Scenario | None = None,
    seed: int = 0,
    now: datetime | None = None,
) -> Report:
    """Compute every section of the report and write its plots into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = now or clock.now().astimezone()
    outcomes = field_outcomes(data, seed=seed)
    model, operating = data.settings.face_model, data.settings.face_operating_point
    threshold = _model_threshold(model, operating) if model is not None else None
    lfw = (
        read_lfw(lfw_json, threshold=threshold, operating=operating, seed=seed)
        if lfw_json
        else None
    )
    modes, source = fitted_modes(data)
    simulation = simulate(scenario or Scenario(seed=seed), modes, source=source)
    plots: dict[str, Path] = {}
    if lfw is not None:
        plots.update(_lfw_plot(lfw, out_dir))
    if data.passages:
        per_minute: dict[str, dict[datetime, int]] = defaultdict(dict)
        for lane, counts in _per_minute(data).items():
            per_minute[lane] = counts
        plots["throughput"] = write_throughput_plot(per_minute, out_dir / "throughput.png")
        plots["latency"] = write_latency_histogram(
            {
                "avec visage": [p.latency_ms for p in data.passages if p.face_attempted],
                "sans visage": [p.latency_ms for p in data.passages if not p.face_attempted],
            },
            out_dir / "latency.png",
        )
    plots["simulation"] = write_wait_plots(
        {r.label: r.waits for r in simulation.results.values()},
        {r.label: (r.queue_times, r.queue_lengths) for r in simulation.results.values()},
        out_dir / "simulation.png",
    )
    return Report(
        generated_at=generated,
        data=data,
        outcomes=outcomes,
        lfw=lfw,
        simulation=simulation,
        hypotheses=hypotheses(outcomes, lfw, simulation, len(data.lanes)),
        plots=plots,
        limits=LIMITS,
        model=model if isinstance(model, str) else None,
        operating_point=operating,
        threshold=threshold,
        measured_fnmr=_model_fnmr(model, operating) if isinstance(model, str) else None,
        licence_note=next((m.licence_note for m in KNOWN_MODELS if m.name == model), ""),
    )


def _model_fnmr(model: str, operating: str) -> float | None:
    try:
        return operating_point(model, operating).measured_fnmr
    except ConfigurationError:
        return None


def _per_minute(data: FieldData) -> dict[str, dict[datetime, int]]:
    counts: dict[str, Counter[datetime]] = defaultdict(Counter)
    for p in data.passages:
        counts[p.lane_id][p.time.replace(second=0, microsecond=0)] += 1
    return {lane: dict(c) for lane, c in counts.items()}


def _lfw_plot(lfw: LfwEvidence, out_dir: Path) -> dict[str, Path]:
    summary = lfw.summary
    title = f"LFW View 2 — {summary.get('backend')} ({summary.get('images')} images)"
    if lfw.intervals is not None and lfw.scores is not None:
        curve = lfw.scores.det()
        i = lfw.intervals
        marks = {
            f"{i.operating_point} (FMR {i.fmr.value:.1e}, FNMR {pct(i.fnmr.value)})": (
                i.fmr.value,
                i.fnmr.value,
            )
        }
        path = write_det_plot(
            {str(summary.get("model")): curve}, out_dir / "det.png", title=title, marks=marks
        )
        return {"det": path}
    if lfw.det_plot is not None:
        target = out_dir / "det.png"
        if lfw.det_plot.resolve() != target.resolve():
            target.write_bytes(lfw.det_plot.read_bytes())
        return {"det": target}
    return {}


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("portique.evaluation", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["pct"] = pct
    environment.filters["num"] = num
    environment.filters["reason"] = reason_text
    return environment


RETENTION_LABELS = {
    "passages": "passages et revues des agents",
    "visitors": "identité des visiteurs",
    "audit": "journal d'audit",
    "lane_status": "historique d'état des voies",
}


def retention_in_force() -> dict[str, str]:
    """The retention periods the purge applies, in days, when the privacy module is there."""
    try:
        from portique.privacy.retention import RetentionPolicy
    except ImportError:
        return {}
    try:
        days = RetentionPolicy.from_settings().as_days()
    except (AttributeError, BadInputError, ConfigurationError):
        return {}
    return {RETENTION_LABELS.get(name, name): f"{value} jours" for name, value in days.items()}


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_html(report: Report, out_dir: Path) -> Path:
    """Write ``report.html`` into ``out_dir``: self-contained, plots embedded."""
    template = _environment().get_template("report.html")
    html = template.render(
        r=report,
        f=report.outcomes,
        roles=ROLE_LABELS,
        age_bands=[band for band, _, _ in AGE_BANDS],
        images={name: _data_uri(path) for name, path in report.plots.items()},
        verdicts=Verdict,
        retention=retention_in_force()
        or {k: str(v) for k, v in report.data.settings.as_json().items() if "retention" in k},
    )
    path = out_dir / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def write_pdf(html: Path, pdf: Path) -> Path:
    """Print the HTML report to an A4 PDF with headless Chromium (Debian's, by Playwright).

    Raises:
        ReportError: Chromium is not installed or fails.
    """
    try:
        return print_pdf(html, pdf)
    except DocumentRenderError as error:
        raise ReportError(f"{error.message} (--no-pdf writes the HTML alone)") from None


def write_report(report: Report, out_dir: Path, *, pdf: bool = True) -> tuple[Path, Path | None]:
    """Write report.html (and report.pdf) into ``out_dir``."""
    html = write_html(report, out_dir)
    printed = write_pdf(html, out_dir / "report.pdf") if pdf else None
    return html, printed


__all__ = [
    "Hypothesis",
    "Report",
    "ReportError",
    "Verdict",
    "build_report",
    "write_html",
    "write_pdf",
    "write_report",
]

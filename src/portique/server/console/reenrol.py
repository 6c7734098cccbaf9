"""The console's re-enrolment page: during a change of the site's face model, who still
carries a template of the previous model and must come back to enrol (as
`portique credential reenrol-list`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from portique.server.console.pages import Page, viewing
from portique.server.roles import Permission
from portique.services.credentials import reenrol_list
from portique.services.people import list_people
from portique.services.rows import site_row
from portique.services.settings import site_settings

router = APIRouter(include_in_schema=False)

ViewPeople = Annotated[Page, Depends(viewing(Permission.MANAGE_PEOPLE))]


@dataclass(frozen=True)
class Waiting:
    """One credential whose holder must re-enrol, as the page lists it."""

    person_id: str
    last_name: str
    first_name: str
    credential_id: str
    template_model: str
    valid_until: datetime


@router.get("/reenrol")
def reenrol_page(page: ViewPeople) -> Response:
    """The site's face model, the previous one during a change, and who must re-enrol."""
    site_id = page.state.site.site_id
    now = page.state.now()
    with page.state.site.session() as session:
        settings = site_settings(site_row(session, site_id))
        found = reenrol_list(session, site_id, now=now)
        people = {
            person.person_id: person
            for person in list_people(
                session, site_id, now=now, person_ids={r.person_id for r in found}
            )
        }
    waiting = sorted(
        (
            Waiting(
                r.person_id,
                people[r.person_id].last_name,
                people[r.person_id].first_name,
                r.credential_id,
                r.template_model,
                r.valid_until,
            )
            for r in found
            if r.person_id in people
        ),
        key=lambda w: (w.last_name.casefold(), w.first_name.casefold(), w.credential_id),
    )
    return page.render(
        "reenrol.html",
        face_model=settings.face_model,
        previous_face_model=settings.previous_face_model,
        waiting=waiting,
        people_count=len({w.person_id for w in waiting}),
    )

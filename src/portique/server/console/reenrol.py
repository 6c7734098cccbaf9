"""The console's re-enrolment page: during a change of the site's face model, who still
carries a template of the previous model and must come back to enrol (as
`portique credential reenrol-list`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from portique.server.console.pages import ManagePeoplePage
from portique.services.credentials import reenrol_list
from portique.services.people import list_people
from portique.services.rows import site_row
from portique.services.settings import site_settings

router = APIRouter(include_in_schema=False)


@router.get("/reenrol")
def reenrol_page(page: ManagePeoplePage) -> Response:
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
    # Each credential with its holder, by name.
    waiting = sorted(
        ((r, people[r.person_id]) for r in found if r.person_id in people),
        key=lambda pair: (pair[1].last_name.casefold(), pair[1].first_name.casefold()),
    )
    return page.render(
        "reenrol.html",
        face_model=settings.face_model,
        previous_face_model=settings.previous_face_model,
        waiting=waiting,
        people_count=len({person.person_id for _, person in waiting}),
    )

"""The console's re-enrolment page: a site moving from dlib to EdgeFace shows who must
come back to enrol, and the list empties as they do (as `credential reenrol-list`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_support import PASSWORD, Clock, Server, serve

from cli_support import Cli
from portique import clock
from portique.bootstrap import open_site
from portique.server import create_account, create_api_token
from support import lfw_face


@pytest.fixture
def moving_site(installed_models_dir: Path, lfw_images: Path, tmp_path: Path) -> tuple[Cli, str]:
    """A dlib site with one pupil enrolled, then moved to EdgeFace; the pupil's id."""
    cli = Cli(tmp_path / "site")
    cli.json("init", "--face", "--face-model", "dlib-resnet-v1")
    parent = cli.parent()
    student = cli.student(parent)
    cli.json("consent", "grant", student, "--by", parent)
    cli.issue(student, "--face", str(lfw_face(lfw_images, "Colin_Powell", 1)))
    cli.json("site", "model", "set", "edgeface_xs_q")
    return cli, student


def _server(directory: Path) -> Server:
    now = clock.now()
    with open_site(directory) as site:
        for role in ("administration", "agent"):
            create_account(site, role, PASSWORD, role, now=now, display_name=role.title())
        token = create_api_token(site, "Entrée principale", "lane", now=now, lane_id="entree")
    return serve(directory, token, Clock(now))


def test_the_administration_sees_who_must_reenrol_until_they_have(
    moving_site: tuple[Cli, str], lfw_images: Path
) -> None:
    cli, student = moving_site
    server = _server(cli.directory)
    admin = server.signed_in("administration")
    page = admin.get("/reenrol")
    assert page.status_code == 200
    assert "edgeface_xs_q" in page.text and "dlib-resnet-v1" in page.text
    assert f'href="/people/{student}"' in page.text and "Martin Léa" in page.text
    assert "Personnes à réenrôler\u00a0: 1" in page.text
    english = admin.get("/reenrol", params={"lang": "en"}).text
    assert "People who must re-enrol: 1" in english and "Template&#39;s model" in english
    cli.issue(student, "--face", str(lfw_face(lfw_images, "Colin_Powell", 1)))
    after = admin.get("/reenrol", params={"lang": "fr"}).text
    assert f'href="/people/{student}"' not in after
    assert "plus à se réenrôler" in after
    cli.json("site", "model", "drop-previous")
    assert "Aucun changement de modèle" in admin.get("/reenrol").text


def test_an_agent_cannot_see_the_reenrol_list(moving_site: tuple[Cli, str]) -> None:
    cli, _ = moving_site
    server = _server(cli.directory)
    assert server.signed_in("agent").get("/reenrol").status_code == 403
    assert server.anonymous().get("/reenrol", follow_redirects=False).status_code in (303, 401)

"""The REST API under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``): people,
credentials and consent (``people``), the entrance (``passages``), visitors
(``visitors``) and the region's supervision (``region``); the answers' shapes in
``schemas`` and ``portique.serializers``."""

from __future__ import annotations

from fastapi import APIRouter

from portique.server.api import passages, people, region, visitors
from portique.server.api.common import API_PREFIX

ROUTERS: tuple[APIRouter, ...] = (people.router, passages.router, visitors.router, region.router)

__all__ = ["API_PREFIX", "ROUTERS"]

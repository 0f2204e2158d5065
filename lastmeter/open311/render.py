"""Rendering Open311 GeoReport v2 answers as JSON or XML, and the spec's error lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse, JsonResponse

FORMATS = ("json", "xml")


def utc(dt: datetime | None) -> str | None:
    """W3C datetime in UTC ending in Z, as GeoReport clients expect."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _element(parent: ET.Element, name: str, value: Any, item_name: str = "") -> None:
    el = ET.SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, bool):
        el.text = "true" if value else "false"
    elif isinstance(value, dict):
        for key, inner in value.items():
            _element(el, key, inner)
    elif isinstance(value, list):
        for inner in value:
            _element(el, item_name or name.rstrip("s"), inner)
    else:
        el.text = str(value)


def xml_document(
    root: str, item: str, rows: list[dict[str, Any]], lists: dict[str, str] | None = None
) -> bytes:
    """<root><item>…</item>…</root>; ``lists`` names the child element of list fields."""
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for key, value in row.items():
            _element(el, key, value, (lists or {}).get(key, ""))
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def respond(
    fmt: str,
    data: Any,
    *,
    root: str,
    item: str,
    status: int = 200,
    lists: dict[str, str] | None = None,
) -> HttpResponse:
    if fmt == "xml":
        rows = data if isinstance(data, list) else [data]
        return HttpResponse(
            xml_document(root, item, rows, lists), status=status, content_type="text/xml; charset=utf-8"
        )
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def respond_one(
    fmt: str, data: dict[str, Any], *, root: str, lists: dict[str, str] | None = None
) -> HttpResponse:
    """A document that is one object: <root><field>…</field></root> in XML."""
    if fmt != "xml":
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    top = ET.Element(root)
    for key, value in data.items():
        _element(top, key, value, (lists or {}).get(key, ""))
    return HttpResponse(
        ET.tostring(top, encoding="utf-8", xml_declaration=True), content_type="text/xml; charset=utf-8"
    )


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error answer: a list of {code, description}."""
    rows = [{"code": status, "description": description}]
    return respond(fmt if fmt in FORMATS else "json", rows, root="errors", item="error", status=status)

"""Walking the project's URL conf: every pattern with its parameters, filled in with test objects.

Shared by the zh-Hans walk (web/tests/test_zh_hans_everywhere.py) and the refusal matrix
(web/tests/test_refusal_matrix.py): both enumerate the resolver rather than a hand-kept list, so a
page or endpoint another change adds is checked as soon as it exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse


@dataclass
class Page:
    name: str  # namespaced URL name
    route: str  # the pattern as written, for messages
    params: list[str]
    defaults: dict
    callback: object = None


def walk_patterns(patterns=None, route: str = "", namespace: str = "") -> Iterator[Page]:
    """Every URL pattern under ``patterns`` (the root URL conf's when None)."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace + (p.namespace + ":" if p.namespace else "")
            yield from walk_patterns(p.url_patterns, route + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield Page(
                name=namespace + p.name if p.name else "",
                route=route + str(p.pattern),
                params=[k for k in p.pattern.regex.groupindex if k not in p.default_args],
                defaults=dict(p.default_args),
                callback=p.callback,
            )


def admin_model(page: Page):
    """The model of an admin page named admin:<app>_<model>_<view>."""
    for model in admin.site._registry:
        if page.name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def page_urls(page: Page, values: dict[str, list], *, every_value: bool = True, hint: str = "") -> list[str]:
    """Every URL of this pattern over the test objects in ``values`` (parameter → values): all
    parameters at their first value, then the first parameter over each of its values (an appeal
    in each state) when ``every_value``. A parameter with no value fails with ``hint``."""
    if not page.params:
        return [fill(page, {})]
    if page.params == ["object_id"] or page.params == ["id"]:
        model = admin_model(page) or get_user_model()
        first = model._default_manager.order_by("pk").first()
        return [reverse(page.name, args=[first.pk])] if first else []
    missing = [p for p in page.params if p not in values]
    assert not missing, f"{page.route} ({page.name}) needs a value for {missing}: {hint}"
    urls = [fill(page, {p: values[p][0] for p in page.params})]
    if every_value:
        first = page.params[0]
        for v in values[first][1:]:
            urls.append(fill(page, {first: v, **{p: values[p][0] for p in page.params[1:]}}))
    return urls


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def fill(page: Page, kwargs: dict) -> str:
    """The URL of ``page`` with ``kwargs``. A path() route is filled in directly, because names
    are not unique (Ninja names an operation after its function: several apps have an ``act``)
    and reverse() would give every one of them the same URL; a regex route is reversed."""
    if "^" in page.route or "(?P" in page.route:
        return reverse(page.name, kwargs=kwargs)
    return "/" + _PARAM.sub(lambda m: str(kwargs[m.group(1)]), page.route)

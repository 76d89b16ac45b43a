"""Template access to the formatting helpers: {{ value|sh_date }}, {{ day|sh_day }}, {{ n|number }},
{{ fee|afn }}, and to the two bidirectional isolates: {{ reference|ltr }} and {{ name|bdi }}."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse, translate_url
from django.utils import timezone, translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, SafeString

from khedmat.core import formatting, workdays

register = template.Library()


@register.filter
def sh_date(value: datetime.date | None) -> str:
    return formatting.format_date(value)


@register.filter
def sh_date_both(value: datetime.date | None) -> str:
    return formatting.format_date(value, with_gregorian=True)


@register.filter
def sh_day(value: datetime.date | None) -> str:
    """A day to choose or keep: its weekday and Solar Hijri date ("Saturday 7 Qaws 1405")."""
    return formatting.format_date(value, with_weekday=True)


@register.filter
def sh_day_time(value: datetime.datetime | None) -> str:
    """An appointment's time: weekday, Solar Hijri date and time."""
    return formatting.format_datetime(value, with_weekday=True)


@register.filter
def sh_datetime(value: datetime.datetime | None) -> str:
    return formatting.format_datetime(value)


@register.filter
def time_local(value: datetime.time | datetime.datetime) -> str:
    return formatting.format_time(value)


@register.filter
def number(value: int | float) -> str:
    return formatting.format_number(value)


@register.filter
def afn(value: int) -> str:
    return formatting.format_amount(value)


@register.filter
def digits(value: object) -> str:
    return formatting.localize_digits(str(value))


@register.filter(needs_autoescape=True)
def ltr(value: object, css_class: str = "", autoescape: bool = True) -> SafeString | str:
    """What must read left to right in any page (references, codes, phone and Tazkira numbers,
    addresses, e-mails, URLs): `<bdi dir="ltr">`, so in Dari and Pashto it neither breaks into
    pieces nor moves the sentence's punctuation; `{{ ref|ltr:"reference" }}` adds a class.
    Nothing for an empty value."""
    if value is None or value == "":
        return ""
    text = conditional_escape(value if isinstance(value, SafeData) else str(value)) if autoescape else str(value)
    return format_html('<bdi dir="ltr" class="{}">{}</bdi>', f"ltr {css_class}".strip(), text)


@register.filter(needs_autoescape=True)
def bdi(value: object, autoescape: bool = True) -> SafeString | str:
    """Text someone typed (a name, a search, a reason), in whatever script: `<bdi>`, so it takes
    its own direction and leaves the sentence around it alone. Nothing for an empty value."""
    if value is None or value == "":
        return ""
    text = conditional_escape(value if isinstance(value, SafeData) else str(value)) if autoescape else str(value)
    return format_html("<bdi>{}</bdi>", text)


@register.simple_tag
def working_week() -> str:
    """The working week in words, as configured (settings.WORKING_WEEKDAYS)."""
    return workdays.working_week_text()


@register.simple_tag
def today_sh() -> str:
    """Today's date in Solar Hijri with the Gregorian beside."""
    return formatting.format_date(timezone.localdate(), with_gregorian=True)


@register.simple_tag(takes_context=True)
def url_in_language(context: template.Context, language: str) -> str:
    """The current page's address in another language (for the language switcher).

    The view's own match is reversed in that language: Django's `translate_url` resolved the
    path again through every pattern for each language, a tenth of a page's CPU. Without a
    match (an error page), or when the name does not reverse, as `translate_url` does."""
    request = context["request"]
    full_path = request.get_full_path()
    match = getattr(request, "resolver_match", None)
    if match is None or not match.url_name:
        return translate_url(full_path, language)
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    with translation.override(language):
        try:
            path = reverse(name, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            return full_path
    _path, mark, query = full_path.partition("?")
    return f"{path}{mark}{query}" if query else path


# The site's menu per (language, signed in, role, script prefix, URLs): it holds no one's name,
# token or message, only links and words that change with a deployment (a new process), so it
# is rendered once per process instead of reversing seven addresses on every page.
_NAV_CACHE: dict[tuple[object, ...], str] = {}


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context) -> str:
    """The main menu for whoever is signed in (core/_site_nav.html), the same for a whole role."""
    user = context.get("user")
    if user is None and "request" in context:
        user = getattr(context["request"], "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    role = str(getattr(user, "role", "") or "") if signed_in else ""
    key = (translation.get_language(), signed_in, role, get_script_prefix(), settings.ROOT_URLCONF, get_urlconf())
    html = _NAV_CACHE.get(key)
    if html is None:
        rendered = get_template("_site_nav.html").render({"signed_in": signed_in, "role": role})
        html = _NAV_CACHE[key] = SafeString(rendered.strip())
    return html


def _forget_nav(**_kwargs: object) -> None:
    """Settings changed (tests): the menu's links or words may have too."""
    _NAV_CACHE.clear()
    _FRAME_CACHE.clear()


# The frame every page shares (base.html), rendered once per process for each key below: its
# header (per language, role and page, for the language links), its footer (per language and
# day) and the head's links to static files. A page's frame cost about a fifth of the counter
# screen's CPU, rendered after every call (docs/performance.md, round eight). Nothing in it is
# a person's own (no name, token or message). Bounded: pages with ids in their address (a
# ticket, a file) each take an entry, and the oldest half goes when it is full.
_FRAME_CACHE: dict[tuple[object, ...], SafeString] = {}
_FRAME_CACHE_SIZE = 2000


def _frame_part(key: tuple[object, ...], render: Callable[[], str]) -> SafeString:
    html = _FRAME_CACHE.get(key)
    if html is None:
        if len(_FRAME_CACHE) >= _FRAME_CACHE_SIZE:
            for old in list(_FRAME_CACHE)[: _FRAME_CACHE_SIZE // 2]:
                _FRAME_CACHE.pop(old, None)
        html = _FRAME_CACHE[key] = SafeString(render())
    return html


def _deployment() -> tuple[object, ...]:
    """What a rendered frame's links depend on besides the language."""
    return (translation.get_language(), get_script_prefix(), settings.ROOT_URLCONF, get_urlconf())


@register.simple_tag
def site_head_links() -> SafeString:
    """The head's stylesheet and icon (hashed names from the static manifest)."""
    return _frame_part(("head", get_script_prefix(), settings.STATIC_URL), lambda: format_html(
        '<link rel="stylesheet" href="{}">\n<link rel="icon" href="{}" type="image/svg+xml">',
        static("css/site.css"), static("img/favicon.svg")))


@register.simple_tag(takes_context=True)
def site_header(context: template.Context) -> SafeString:
    """The skip link and the site's header: brand, menu (site_nav) and language links to this page."""
    request = context.get("request")
    user = context.get("user")
    if user is None and request is not None:
        user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    role = str(getattr(user, "role", "") or "") if signed_in else ""
    path = request.get_full_path() if request is not None else ""
    key = ("header", *_deployment(), signed_in, role, path, context.get("LANGUAGE_CODE"))
    return _frame_part(key, lambda: get_template("_site_header.html").render({
        "nav": site_nav(context), "languages": language_switch(context, "lang-switch")}).strip())


@register.simple_tag
def site_footer() -> SafeString:
    """The site's footer, with today's date."""
    today = timezone.localdate()
    return _frame_part(("footer", *_deployment(), today), lambda: get_template("_site_footer.html").render({
        "today": formatting.format_date(today, with_gregorian=True)}).strip())


setting_changed.connect(_forget_nav, dispatch_uid="khedmat.site_nav")


@register.simple_tag(takes_context=True)
def language_switch(context: template.Context, nav_class: str) -> SafeString:
    """The language switcher (core/_language_switch.html): the current language named, the others
    linked to this page in them. Written here rather than as a template loop, which cost a page
    three times as much; the markup is the same, character for character."""
    current = context.get("LANGUAGE_CODE")
    items = []
    for choice in context.get("language_choices") or ():
        if choice["code"] == current:
            item = format_html('<span aria-current="true" lang="{}">{}</span>\n    ',
                               choice["html_lang"], choice["name"])
        else:
            item = format_html('<a href="{}" lang="{}" hreflang="{}">{}</a>', url_in_language(context, choice["code"]),
                               choice["html_lang"], choice["html_lang"], choice["name"])
        items.append(f"\n    {item}\n  ")
    return format_html('<nav class="{}" aria-label="{}">\n  {}\n</nav>', nav_class, translation.gettext("Language"),
                       SafeString("".join(items)))

"""The Dari (fa) and Pashto (ps) catalogs are complete, and the pages really come out in them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
TRANSLATED_LANGUAGES = ["fa", "ps"]
PLURAL_FORMS = {
    "fa": "nplurals=2; plural=(n > 1);",
    "ps": "nplurals=2; plural=(n != 1);",
}

# %(name)s, %(name)r, %s, %d … — "%%" is a literal percent sign, not a placeholder.
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0\- +]*\d*(?:\.\d+)?([sdifrxXeEgGc%])")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def _catalog(language: str) -> Catalog:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language)


def _messages(language: str) -> list[Message]:
    return [message for message in _catalog(language) if message.id]


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [form or "" for form in value]


def _placeholders(text: str) -> tuple[frozenset[str], int]:
    """Named placeholders, and the number of positional ones."""
    named: set[str] = set()
    positional = 0
    for name, conversion in _PLACEHOLDER.findall(text):
        if conversion == "%":
            continue
        if name:
            named.add(f"{name}:{conversion}")
        else:
            positional += 1
    return frozenset(named), positional


def _label(message: Message) -> str:
    return repr(message.id if isinstance(message.id, str) else message.id[0])


def test_every_language_with_pages_has_a_catalog() -> None:
    codes = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    assert sorted(codes) == sorted(TRANSLATED_LANGUAGES)


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_header_keeps_plural_forms_and_is_not_fuzzy(language: str) -> None:
    catalog = _catalog(language)
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    text = path.read_text(encoding="utf-8")
    assert f'"Plural-Forms: {PLURAL_FORMS[language]}\\n"' in text
    assert "#, fuzzy" not in text
    assert not catalog.fuzzy
    assert catalog.num_plurals == 2


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_catalog_is_large_enough_to_be_the_real_one(language: str) -> None:
    # A guard against testing an empty or truncated file: the interface has hundreds of strings.
    assert len(_messages(language)) > 300


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    untranslated, fuzzy = [], []
    for message in _messages(language):
        if message.fuzzy:
            fuzzy.append(_label(message))
        forms = _forms(message.string)
        expected = 2 if message.pluralizable else 1
        if len(forms) != expected or not all(form.strip() for form in forms):
            untranslated.append(_label(message))
    assert not fuzzy, f"fuzzy in {language}: {fuzzy}"
    assert not untranslated, f"untranslated in {language}: {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_placeholders_match_between_msgid_and_msgstr(language: str) -> None:
    wrong = []
    for message in _messages(language):
        sources = _forms(message.id)
        expected_named: set[str] = set()
        expected_positional: set[int] = set()
        for source in sources:
            named, positional = _placeholders(source)
            expected_named |= named
            expected_positional.add(positional)
        for form in _forms(message.string):
            named, positional = _placeholders(form)
            if named != expected_named or positional not in expected_positional:
                wrong.append((_label(message), form))
        if message.python_format:
            # Named and positional placeholders are never mixed in one string.
            has_positional = max(expected_positional, default=0) > 0
            assert not (expected_named and has_positional), _label(message)
    assert not wrong, f"placeholders differ in {language}: {wrong}"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_html_tags_are_kept(language: str) -> None:
    wrong = []
    for message in _messages(language):
        tags = sorted(_TAG.findall(_forms(message.id)[0]))
        for form in _forms(message.string):
            if sorted(_TAG.findall(form)) != tags:
                wrong.append((_label(message), form))
    assert not wrong, f"HTML tags differ in {language}: {wrong}"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_python_format_strings_still_format(language: str) -> None:
    """Formatting each translation with its msgid's arguments raises nothing."""
    for message in _messages(language):
        if not message.python_format:
            continue
        names = {name for source in _forms(message.id) for name, _c in _PLACEHOLDER.findall(source) if name}
        if not names:
            continue
        arguments = {name: 1 for name in names}
        for form in _forms(message.string):
            form % arguments


def _text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


SIGN_IN_PAGE = {
    # language: (words that must appear, the English they replace)
    "fa": (["ورود", "خدمات", "ادارات", "ورود با شماره موبایل", "رمز را برایم بفرستید", "آسان خدمت"],
           ["Sign in", "Services", "Agencies", "Send me a code", "Asan Khedmat"]),
    "ps": (["ننوتل", "خدمتونه", "ادارې", "د خپلې موبایل شمېرې سره ننوځئ", "ماته کوډ راولېږئ", "آسان خدمت"],
           ["Sign in", "Services", "Agencies", "Send me a code", "Asan Khedmat"]),
}


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_sign_in_page_comes_out_translated(client: Client, language: str) -> None:
    html = _text(client, f"/{language}/account/sign-in/")
    assert 'dir="rtl"' in html
    translated, english = SIGN_IN_PAGE[language]
    for text in translated:
        assert text in html, text
    for text in english:
        assert text not in html, text


def test_sign_in_page_in_english_has_the_english_words(client: Client) -> None:
    """The control for the test above: the English words it looks for are really on the page."""
    html = _text(client, "/en/account/sign-in/")
    for text in SIGN_IN_PAGE["fa"][1]:
        assert text in html, text


HOME_PAGE = {
    "fa": (["خدمات عامه در یک جا", "جستجو", "امروز:"],
           ["Public services in one place", "Search for a service", "Today"]),
    "ps": (["عامه خدمتونه په یوه ځای کې", "لټون", "نن:"],
           ["Public services in one place", "Search for a service", "Today"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_home_page_comes_out_translated(client: Client, language: str) -> None:
    html = _text(client, f"/{language}/")
    translated, english = HOME_PAGE[language]
    for text in translated:
        assert text in html, text
    for text in english:
        assert text not in html, text
    # The header's navigation, in the language of the page.
    sign_in, services = ("ورود", "خدمات") if language == "fa" else ("ننوتل", "خدمتونه")
    assert f">{sign_in}</a>" in html
    assert f">{services}</a>" in html


@pytest.mark.parametrize(("language", "expected"), [("fa", "افغانی"), ("ps", "افغانۍ")])
def test_amounts_are_in_afghani_words(language: str, expected: str) -> None:
    from django.utils import translation

    from khedmat.core.formatting import format_amount

    with translation.override(language):
        text = format_amount(1500)
    assert text.endswith(expected)
    assert "AFN" not in text

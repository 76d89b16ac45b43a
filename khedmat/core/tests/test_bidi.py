"""What reads left to right in a right-to-left page: the `ltr` and `bdi` filters and the
plain-text isolates, one way for every template and message."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

from khedmat.core.formatting import TAZKIRA_EXAMPLE, isolate, isolate_ltr, with_example


def render(text: str, **context: object) -> str:
    return Template("{% load khedmat %}" + text).render(Context(context))


def test_ltr_wraps_a_reference_in_a_left_to_right_isolate() -> None:
    assert render("{{ ref|ltr }}", ref="MOI-PSP-1405-000001") == (
        '<bdi dir="ltr" class="ltr">MOI-PSP-1405-000001</bdi>')
    assert render('{{ ref|ltr:"reference" }}', ref="PAY-1") == '<bdi dir="ltr" class="ltr reference">PAY-1</bdi>'


def test_ltr_and_bdi_escape_what_they_wrap_and_leave_nothing_for_nothing() -> None:
    assert render("{{ v|ltr }}", v='<script>"x"</script>') == (
        '<bdi dir="ltr" class="ltr">&lt;script&gt;&quot;x&quot;&lt;/script&gt;</bdi>')
    assert render("{{ v|bdi }}", v="<b>Zarghuna</b>") == "<bdi>&lt;b&gt;Zarghuna&lt;/b&gt;</bdi>"
    assert render("[{{ v|ltr }}][{{ w|bdi }}][{{ n|ltr }}]", v="", w=None, n=None) == "[][][]"


def test_a_wrapped_value_keeps_its_markup_inside_a_translated_sentence() -> None:
    with translation.override("fa"):
        page = render('{% load i18n %}{% blocktranslate with reference=ref|ltr %}Reference: {{ reference }}'
                      '{% endblocktranslate %}', ref="A&B")
    assert '<bdi dir="ltr" class="ltr">A&amp;B</bdi>' in page


def test_plain_text_isolates_for_messages_and_help_texts() -> None:
    assert isolate_ltr("0700 123 456") == "\u20660700 123 456\u2069"
    assert isolate("Zarghuna") == "\u2068Zarghuna\u2069"
    assert isolate_ltr("") == "" and isolate("") == ""


def test_an_example_is_isolated_in_the_reader_s_language_when_shown() -> None:
    from django.utils.translation import gettext_lazy

    text = with_example(gettext_lazy("As printed on the card, for example %(example)s."), TAZKIRA_EXAMPLE)
    with translation.override("fa"):
        shown = str(text)
    assert "\u20661400-0101-12345\u2069" in shown
    assert "for example" not in shown  # Dari, chosen when shown, not when the form was defined

"""Translation catalogues: complete in both languages, and actually used by the pages.

The Chinese catalogue lives in ``zh_Hans_CN``, not ``zh_CN``: Flask-Babel looks
for the directory named after ``str(babel.Locale.parse("zh_CN"))``, which is
``zh_Hans_CN``.

After changing interface strings run ``make extract-messages``, translate the
new entries in both catalogues, and ``make translations`` (``make test`` does
that too).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "tracker" / "translations"
CATALOGUES = ("zh_Hans_CN", "en")
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdif]|\{\w*\}")
HINT = "run `make extract-messages`, translate the new entries, then `make translations`"


def _catalogue(directory: str):
    path = TRANSLATIONS / directory / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f, locale=directory)


def _key(message_id, context) -> tuple[str | None, str]:
    return context, message_id if isinstance(message_id, str) else message_id[0]


def _extracted_keys() -> set[tuple[str | None, str]]:
    """What `pybabel extract -F babel.cfg -k _l -k _lp:1c,2` finds in the current code."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "_lp": ((1, "c"), 2)}
    return {
        _key(message, context)
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords
        )
        if message
    }


def _same_placeholders(message) -> bool:
    if isinstance(message.id, str):
        return sorted(PLACEHOLDER.findall(message.id)) == sorted(
            PLACEHOLDER.findall(message.string)
        )
    # Plural forms: a form may leave out the count ("one activity"), never invent one.
    allowed = {p for form in message.id for p in PLACEHOLDER.findall(form)}
    return all(set(PLACEHOLDER.findall(form)) <= allowed for form in message.string)


@pytest.mark.parametrize("directory", CATALOGUES)
def test_catalogue_is_complete_and_current(directory):
    catalogue = _catalogue(directory)
    assert not catalogue.fuzzy, f"{directory}: the catalogue header is marked fuzzy"
    messages = [m for m in catalogue if m.id]
    untranslated = [
        m.id
        for m in messages
        if not all((m.string,) if isinstance(m.string, str) else m.string[: catalogue.num_plurals])
    ]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated, f"{directory}: untranslated {untranslated}"
    assert not fuzzy, f"{directory}: fuzzy {fuzzy}"
    mismatched = [m.id for m in messages if not _same_placeholders(m)]
    assert not mismatched, f"{directory}: placeholders differ from the msgid: {mismatched}"

    missing = _extracted_keys() - {_key(m.id, m.context) for m in messages}
    assert not missing, f"{directory} lacks {sorted(k[1] for k in missing)}: {HINT}"


def test_chinese_catalogue_is_written_in_chinese():
    """Guards against English pasted into the Chinese catalogue by a script."""
    same = [
        m.id
        for m in _catalogue("zh_Hans_CN")
        if m.id and m.string == m.id and any(c.islower() for c in str(m.id))
    ]
    assert not same, f"zh_Hans_CN: left in English {same}"


# Han characters and the CJK punctuation and quotes that sit between them.
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’…]"
HALF_WIDTH_IN_CHINESE = re.compile(rf"{_CJK}\s?[,:;?()]|[,:;?()]\s?{_CJK}")


def test_chinese_catalogue_uses_one_register_and_full_width_punctuation():
    """你 throughout (never the formal 您), and ，：；？（） inside Chinese text."""
    formal, half_width = [], []
    for m in _catalogue("zh_Hans_CN"):
        if not m.id:
            continue
        for text in (m.string,) if isinstance(m.string, str) else m.string:
            if "您" in text:
                formal.append(text)
            if HALF_WIDTH_IN_CHINESE.search(PLACEHOLDER.sub("", text)):
                half_width.append(text)
    assert not formal, f"zh_Hans_CN: write 你, not 您: {formal}"
    assert not half_width, f"zh_Hans_CN: half-width punctuation in Chinese: {half_width}"


def test_the_punctuation_check_catches_half_width_marks():
    for bad in ("姓名:", "(必填)", "是否继续?", "甲, 乙", "甲;乙"):
        assert HALF_WIDTH_IN_CHINESE.search(bad), bad
    for good in ("姓名：", "（必填）", "CSV (UTF-8)", "2026-11-25T19:00:00+08:00"):
        assert not HALF_WIDTH_IN_CHINESE.search(good), good


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_login_page_is_chinese_by_default(client):
    text = _text(client.get("/login"))
    for word in ("登录", "学号", "密码"):
        assert word in text, f"{word!r} missing from the Chinese login page; {HINT}"
    assert "Student number" not in text


def test_login_page_follows_an_english_browser(client):
    text = _text(client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    for word in ("Log in", "Student number", "Password"):
        assert word in text
    assert "学号" not in text


@pytest.mark.parametrize(
    ("locale", "expected", "absent"),
    [
        ("en", ("Hello,", "This week", "My activities"), ("本周", "我的活动")),
        ("zh_CN", ("你好", "本周", "我的活动"), ("This week", "My activities")),
    ],
)
def test_home_page_uses_the_members_language(db, make, login, locale, expected, absent):
    member = make.member()
    member.locale = locale
    db.session.commit()
    # The browser asks for the other language: the member's own choice wins.
    other = "zh-CN" if locale == "en" else "en"
    text = _text(login(member).get("/", headers={"Accept-Language": other}))
    for word in expected:
        assert word in text, f"{word!r} missing for locale {locale}"
    for word in absent:
        assert word not in text, f"{word!r} shown for locale {locale}"


def test_words_with_two_chinese_meanings_are_told_apart(app, db, make, committee, login):
    """One English word, two Chinese words: each use site picks its meaning by context."""
    from flask_babel import force_locale

    from tracker.i18n import STATUS_LABELS
    from tracker.models import ActivityStatus

    with app.test_request_context(), force_locale("zh_CN"):
        withdrawn = str(STATUS_LABELS[ActivityStatus.WITHDRAWN])
        revoked = str(STATUS_LABELS[ActivityStatus.REVOKED])
    assert (withdrawn, revoked) == ("成员已撤回", "已撤销通过")

    # The member table on the branch dashboard lists members, it is no count.
    text = _text(login(committee).get("/dashboard/branch"))
    assert '<h2 class="h5">成员</h2>' in text
    assert "成员数" not in text


def test_signed_in_users_switch_language_from_the_top_bar(db, member, login):
    client = login(member)
    text = _text(client.get("/activities/?status=pending"))
    assert 'action="/language"' in text and 'value="/activities/?status=pending"' in text
    response = client.post("/language", data={"locale": "en", "next": "/activities/"})
    assert response.headers["Location"] == "/activities/"
    db.session.refresh(member)
    assert member.locale == "en"  # kept on the account (the browser test sees the page change)


def test_templates_translate_in_the_language_of_the_moment(app):
    """Templates keep the request's translations once looked up (a page of hundreds of
    rows translates hundreds of strings), yet a mail in another language
    (``force_locale``) is written in that language, and the page goes on in its own."""
    from flask import render_template_string
    from flask_babel import force_locale

    words = "{{ _('Points') }}|{{ ngettext('%(num)d point', '%(num)d points', 2) }}"
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        before = render_template_string(words)
        with force_locale("en"):
            forced = render_template_string(words)
        after = render_template_string(words)
    assert forced == "Points|2 points"
    assert before == after != forced and "积分" in before

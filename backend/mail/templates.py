# ruff: noqa: RUF001  (Chinese text uses full-width punctuation: it is right there)
"""The words of every email, in English and Simplified Chinese, as plain text and HTML.

Rendered with Jinja: the HTML environment escapes every value (a ticket title, a customer's
name or a notification body is user content and must never become markup), the plain-text
one does not (there is nothing to escape, and ``&amp;`` would be noise). A language we have
no words for falls back to English, so no event goes unsent for want of a translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined

LANGUAGES = ("en", "zh-CN")
KINDS = ("received", "assigned", "completed", "staff", "invite", "rule")

_SUBJECTS: dict[str, dict[str, str]] = {
    "en": {
        "received": "[{{ number }}] We received your report",
        "assigned": "[{{ number }}] An engineer has been assigned",
        "completed": "[{{ number }}] The work is completed",
        "staff": "{% if number %}[{{ number }}] {% endif %}{{ title }}",
        "invite": "Choose your fieldops password",
        "rule": "{% if number %}[{{ number }}] {% endif %}{{ title }}",
    },
    "zh-CN": {
        "received": "[{{ number }}] 我们已收到您的报修",
        "assigned": "[{{ number }}] 已为您指派工程师",
        "completed": "[{{ number }}] 维修工作已完成",
        "staff": "{% if number %}[{{ number }}] {% endif %}{{ title }}",
        "invite": "设置您的 fieldops 密码",
        "rule": "{% if number %}[{{ number }}] {% endif %}{{ title }}",
    },
}

_BODIES: dict[str, dict[str, str]] = {
    "en": {
        "received": """Hello {{ name }},

we received your report "{{ title }}" and opened ticket {{ number }}.
{% if tracking_url %}Follow it here: {{ tracking_url }}
{% endif %}
You can reply to this email to add information.""",
        "assigned": """Hello {{ name }},

an engineer has been assigned to your report {{ number }} ("{{ title }}").
{% if window %}Expected arrival: between {{ window[0] }} and {{ window[1] }}.
{% else %}We will let you know when the engineer is on the way.
{% endif %}{% if tracking_url %}Follow it here: {{ tracking_url }}
{% endif %}""",
        "completed": """Hello {{ name }},

the work on your report {{ number }} ("{{ title }}") is completed.
{% if report_url %}Your service report: {{ report_url }}
{% endif %}{% if tracking_url %}Rate the service here: {{ tracking_url }}
{% endif %}""",
        "staff": """{{ title }}

{{ body }}
{% if number %}
Ticket {{ number }}.
{% endif %}
You get this email because no phone of yours is registered for push notifications.""",
        "invite": """Hello {{ name }},

an account was made for you in fieldops ({{ email }}). Choose your password here:
{{ url }}

The link works once and until {{ expires }}. If it has expired, ask an admin for a new one.""",
        "rule": """{{ body }}
{% if number %}
Ticket {{ number }}.
{% endif %}
Sent by the automation rule "{{ rule }}".""",
    },
    "zh-CN": {
        "received": """{{ name }}，您好：

我们已收到您的报修“{{ title }}”，工单号 {{ number }}。
{% if tracking_url %}查看进度：{{ tracking_url }}
{% endif %}
如需补充信息，请直接回复此邮件。""",
        "assigned": """{{ name }}，您好：

您的报修 {{ number }}（“{{ title }}”）已指派工程师。
{% if window %}预计到达时间：{{ window[0] }} 至 {{ window[1] }}。
{% else %}工程师出发时我们会通知您。
{% endif %}{% if tracking_url %}查看进度：{{ tracking_url }}
{% endif %}""",
        "completed": """{{ name }}，您好：

您的报修 {{ number }}（“{{ title }}”）已处理完毕。
{% if report_url %}服务报告：{{ report_url }}
{% endif %}{% if tracking_url %}欢迎评价本次服务：{{ tracking_url }}
{% endif %}""",
        "staff": """{{ title }}

{{ body }}
{% if number %}
工单 {{ number }}。
{% endif %}
您收到此邮件，是因为您没有登记接收推送通知的手机。""",
        "invite": """{{ name }}，您好：

我们已为您在 fieldops 中创建账号（{{ email }}）。请通过以下链接设置密码：
{{ url }}

该链接只能使用一次，有效期至 {{ expires }}。如已过期，请联系管理员重新发送。""",
        "rule": """{{ body }}
{% if number %}
工单 {{ number }}。
{% endif %}
此邮件由自动化规则“{{ rule }}”发送。""",
    },
}

# One HTML frame for every message: the text, paragraph by paragraph, links made clickable.
_HTML = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5">
{% for paragraph in paragraphs %}<p>{% for line in paragraph %}{% if line.url %}\
{{ line.before }}<a href="{{ line.url }}">{{ line.url }}</a>{% else %}{{ line.text }}{% endif %}\
{% if not loop.last %}<br>{% endif %}{% endfor %}</p>
{% endfor %}</body></html>
"""


def _loader() -> DictLoader:
    mapping = {"frame.html": _HTML}
    for lang in LANGUAGES:
        for kind in KINDS:
            mapping[f"{lang}/{kind}.subject"] = _SUBJECTS[lang][kind]
            mapping[f"{lang}/{kind}.txt"] = _BODIES[lang][kind]
    return DictLoader(mapping)


_TEXT = Environment(loader=_loader(), autoescape=False, undefined=StrictUndefined)
_MARKUP = Environment(loader=_loader(), autoescape=True, undefined=StrictUndefined)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def language_of(value: str | None, default: str = "en") -> str:
    """One of ``LANGUAGES`` for a stored or declared language tag (``zh``, ``zh-Hans-CN`` and
    ``zh_CN`` are Simplified Chinese; anything unknown is ``default``)."""
    tag = (value or "").strip().replace("_", "-").lower()
    if tag.startswith("zh") and "hant" not in tag and not tag.endswith(("-tw", "-hk", "-mo")):
        return "zh-CN"
    if tag.startswith("en"):
        return "en"
    return default if default in LANGUAGES else "en"


def _lines(text: str, link_prefix: str) -> list[list[dict[str, str]]]:
    """Paragraphs of lines; a line ending in one of our URLs (``link_prefix``: tracking and
    report links) is split so the frame can link it. Anything else, a URL a customer typed
    into a title included, stays text."""
    paragraphs: list[list[dict[str, str]]] = []
    for block in text.strip().split("\n\n"):
        lines = []
        for line in block.splitlines():
            at = line.find(link_prefix + "/") if link_prefix else -1
            if at >= 0 and " " not in line[at:]:
                lines.append({"before": line[:at], "url": line[at:], "text": ""})
            else:
                lines.append({"before": "", "url": "", "text": line})
        if lines:
            paragraphs.append(lines)
    return paragraphs


def render(kind: str, language: str, values: dict[str, Any], *, link_prefix: str) -> Rendered:
    lang = language if language in LANGUAGES else "en"
    subject = _TEXT.get_template(f"{lang}/{kind}.subject").render(**values)
    subject = " ".join(subject.split())[:300]
    text = _TEXT.get_template(f"{lang}/{kind}.txt").render(**values).strip() + "\n"
    html = _MARKUP.get_template("frame.html").render(
        lang=lang, subject=subject, paragraphs=_lines(text, link_prefix)
    )
    return Rendered(subject, text, html)

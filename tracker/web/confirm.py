"""One question before a step that cannot be taken back: the confirmation page.

A destructive button posts its form as before; the view, once it has found
the thing and may act on it, calls ``ask_first``. Without ``confirmed`` in
the form the person gets a page that states the consequence, with the form's
data carried in hidden fields, and Confirm or Cancel; the confirmed post does
it. No script is needed, and the test client sees both steps. The API is not
asked: a client confirms by calling.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import render_template, request

CONFIRMED = "confirmed"


def ask_first(
    consequence: str,
    *,
    cancel: str,
    names: Iterable[str] = (),
    names_heading: str | None = None,
    warning: str | None = None,
    button: str | None = None,
):
    """None when the post carries the confirmation; else the page that asks for it.

    ``consequence`` says what will happen, ``names`` whom it touches (under
    ``names_heading``), ``warning`` anything unusual about doing it now;
    ``cancel`` is where Cancel leads.
    """
    if request.form.get(CONFIRMED) == "yes":
        return None
    carried = [(k, v) for k, v in request.form.items(multi=True) if k != CONFIRMED]
    return render_template(
        "confirm.html",
        consequence=consequence,
        names=list(names),
        names_heading=names_heading,
        warning=warning,
        button=button,
        carried=carried,
        action=request.full_path if request.query_string else request.path,
        cancel=cancel,
    )

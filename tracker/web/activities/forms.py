"""Activity forms, one per category, built from the category and its rule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    MultipleFileField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.activities.checks import (
    MAX_DESCRIPTION,
    MAX_LOCATION,
    MAX_TITLE,
    MIN_REFLECTION,
    ActivityInput,
)
from tracker.i18n import UNIT_LABELS
from tracker.limits import record_id
from tracker.models import Category, User
from tracker.web.forms import DayField, TenthsField


class ActivityForm(FlaskForm):
    # The page makes it (a uuid); a longer one was not sent by the page.
    submission_key = HiddenField(validators=[Length(max=64)])
    occurred_on = DayField(_l("Date"), validators=[InputRequired(_l("Please give the date."))])
    quantity = TenthsField(validators=[InputRequired(_l("Please give the amount."))])
    title = StringField(
        _l("Title"), validators=[InputRequired(_l("Please give a title.")), Length(max=MAX_TITLE)]
    )
    description = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=MAX_DESCRIPTION)])
    # static/js/photo-compress.js makes large photos smaller before they are sent.
    evidence = MultipleFileField(
        _l("Evidence (photos or PDF)"),
        render_kw={
            "data-compress": "",
            "data-compress-status": "evidence-status",
            "data-compressing": _l("Making the photos smaller…"),
        },
    )
    submit = SubmitField(_l("Submit"))

    def to_input(self) -> ActivityInput:
        return ActivityInput(
            occurred_on=self.occurred_on.data,
            quantity=self.quantity.data if getattr(self, "quantity", None) else Decimal(1),
            title=self.title.data or "",
            description=self.description.data or "",
            start_time=getattr(self, "start_time", None) and self.start_time.data,
            location=getattr(self, "location", None) and self.location.data,
            mentee_numbers=list(getattr(self, "mentees", None) and self.mentees.data or []),
        )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def form_values(activity) -> dict:
    """An activity's stored values, as the edit form shows them."""
    return {
        "occurred_on": activity.occurred_on,
        "quantity": activity.quantity,
        "title": activity.title,
        "description": activity.description,
        "start_time": activity.start_time,
        "location": activity.location,
        "mentees": [link.mentee.student_no for link in activity.mentees],
    }


def activity_form_for(
    category: Category,
    *,
    editing: bool = False,
    offered_mentees: Sequence[User] = (),
    **kwargs,
) -> ActivityForm:
    """The form for one category: only the fields its activities need.

    A 1+N session offers ``offered_mentees`` (the mentor's accepted mentees) to tick.
    """

    class CategoryActivityForm(ActivityForm):
        pass

    CategoryActivityForm.quantity = TenthsField(
        _l("Amount (%(unit)s)", unit=UNIT_LABELS[category.unit]),
        validators=[InputRequired(_l("Please give the amount."))],
        render_kw={"inputmode": "decimal", "step": "any"},
    )
    if category.needs_start_time:
        CategoryActivityForm.start_time = TimeField(
            _l("Start time"), validators=[InputRequired(_l("Please give the start time."))]
        )
    if category.needs_location:
        CategoryActivityForm.location = StringField(
            _l("Place"),
            validators=[InputRequired(_l("Please give the place.")), Length(max=MAX_LOCATION)],
        )
    if category.needs_reflection:
        CategoryActivityForm.description = TextAreaField(
            _l("Reflection"),
            validators=[
                InputRequired(_l("Please write a reflection.")),
                Length(max=MAX_DESCRIPTION),
            ],
            description=_l("At least %(n)d characters.", n=MIN_REFLECTION),
            render_kw={"rows": 6, "minlength": MIN_REFLECTION},
        )
    if category.counts_one:
        CategoryActivityForm.quantity = None  # one visit is one (to_input)
    if category.needs_mentees:
        # Names the domain does not know are refused there (checks._check_mentees), in words.
        CategoryActivityForm.mentees = MultiCheckboxField(
            _l("Mentees"),
            choices=[
                SelectChoice(m.student_no, f"{m.name} ({m.student_no})") for m in offered_mentees
            ],
            validators=[InputRequired(_l("Name at least one mentee."))],
            validate_choice=False,
        )
    if editing:
        CategoryActivityForm.remove_evidence = MultiCheckboxField(
            _l("Remove files"), coerce=record_id, validate_choice=False
        )
        CategoryActivityForm.submit = SubmitField(_l("Save"))
    form = CategoryActivityForm(**kwargs)
    if not form.submission_key.data:
        form.submission_key.data = uuid.uuid4().hex
    return form

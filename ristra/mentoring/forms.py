from __future__ import annotations

import datetime as dt
import time
from typing import Any, NoReturn

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ristra.accounts.models import ProgramScope
from ristra.mentoring.models import (
    MAX_CAPACITY,
    Audience,
    CheckIn,
    Connection,
    ConstraintKind,
    Cycle,
    Enrolment,
    FeedbackStage,
    FormQuestion,
    Program,
    QuestionKind,
    Role,
    Weight,
)


class _USWDS:
    """Adds the USWDS classes to every widget."""

    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "usa-checkbox__input--tile")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "usa-select")
            elif isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("class", "usa-textarea")
            else:
                widget.attrs.setdefault("class", "usa-input")


class ProgramForm(_USWDS, forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "name",
            "slug",
            "scope",
            "description",
            "mode",
            "allow_participant_preferences",
            "same_department_allowed",
            "exclude_previous_mentors",
            "max_requests",
            "days_to_accept",
            "load_cap",
            "checkin_every_days",
            "max_ranked",
            "offers_connections",
            "connections_auto",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    topics_text = forms.CharField(
        label=_("Connection topics, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What applicants may ask to talk about, e.g. a specialty, research, "
            "living in the city. Volunteers choose among the same topics."
        ),
    )

    def __init__(self, *args: Any, scopes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = scopes if scopes is not None else ProgramScope.objects.all()  # type: ignore[attr-defined]
        self.fields["max_ranked"].required = False
        if self.instance.pk:
            self.fields["slug"].disabled = True
            self.fields["scope"].disabled = True
            self.fields["topics_text"].initial = "\n".join(self.instance.connection_topics or [])
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        topics: list[str] = []
        for line in (data.pop("topics_text", "") or "").splitlines():
            topic = line.strip()[:100]
            if topic and topic not in topics:
                topics.append(topic)
        if data.get("offers_connections") and not topics:
            self.add_error("topics_text", _("List at least one topic to offer connections."))
        data["connection_topics"] = topics
        if data.get("max_ranked") is None:
            data["max_ranked"] = Program._meta.get_field("max_ranked").default
        return data

    def save(self, commit: bool = True) -> Program:
        self.instance.connection_topics = self.cleaned_data["connection_topics"]
        return super().save(commit=commit)  # type: ignore[no-any-return]


class CycleForm(_USWDS, forms.ModelForm):
    class Meta:
        model = Cycle
        fields = [
            "name",
            "enrolment_opens",
            "enrolment_closes",
            "matching_on",
            "starts_on",
            "ends_on",
        ]
        widgets = {
            f: forms.DateInput(attrs={"type": "date"})
            for f in ("enrolment_opens", "enrolment_closes", "matching_on", "starts_on", "ends_on")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        order = ["enrolment_opens", "enrolment_closes", "matching_on", "starts_on", "ends_on"]
        dates = [data.get(k) for k in order]
        if all(dates) and any(a > b for a, b in zip(dates, dates[1:], strict=False)):  # type: ignore[operator]
            raise forms.ValidationError(
                _("The dates must run in order: enrolment opens, closes, matching, start, end.")
            )
        if all(dates) and dates[3] == dates[4]:
            raise forms.ValidationError(_("The relationships must end after they start."))
        return data


class QuestionForm(_USWDS, forms.ModelForm):
    options_text = forms.CharField(
        label=_("Choices, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = FormQuestion
        fields = [
            "label",
            "key",
            "help_text",
            "kind",
            "audience",
            "required",
            "weight",
            "reason_label",
            "is_preference",
            "is_private",
        ]

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        if self.instance.pk:
            self.fields["options_text"].initial = "\n".join(self.instance.options or [])
            self.fields["key"].disabled = True
        self._style()

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        clash = self.program.questions.filter(key=key)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another question of this form has that key."))
        return str(key)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        options = [
            line.strip() for line in (data.get("options_text") or "").splitlines() if line.strip()
        ]
        kind = data.get("kind")
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTI) and len(options) < 2:
            self.add_error("options_text", _("A choice question needs at least two choices."))
        if len(set(options)) != len(options):
            self.add_error("options_text", _("A choice is listed twice."))
        if data.get("weight", Weight.NONE) != Weight.NONE:
            if kind not in (QuestionKind.SINGLE, QuestionKind.MULTI):
                self.add_error("weight", _("Only choice questions can weigh in matching."))
            if data.get("audience") != Audience.BOTH:
                self.add_error(
                    "weight", _("A matching criterion must be asked of mentees and mentors.")
                )
        if data.get("is_preference") and not data.get("is_private"):
            self.add_error(
                "is_private",
                _("A participant-chosen preference is private: tick this box as well."),
            )
        data["options"] = options
        return data

    def save(self, commit: bool = True) -> FormQuestion:
        self.instance.options = self.cleaned_data["options"]
        return super().save(commit=commit)  # type: ignore[no-any-return]


class EnrolmentForm(forms.Form):
    """The program's form, built from its questions."""

    role = forms.ChoiceField(label=_("I enrol as"), choices=Role.choices, widget=forms.RadioSelect)
    capacity = forms.TypedChoiceField(
        label=_("If I mentor: how many mentees I can take"),
        choices=[(n, str(n)) for n in range(1, MAX_CAPACITY + 1)],
        coerce=int,
        initial=1,
    )

    def __init__(
        self, *args: Any, program: Program, enrolment: Enrolment | None = None, **kwargs: Any
    ) -> None:
        initial: dict[str, Any] = {}
        if enrolment is not None:
            initial = {"role": enrolment.role, "capacity": enrolment.capacity}
            for key, value in (enrolment.answers or {}).items():
                initial[f"q_{key}"] = value
            for key in enrolment.preferences_used or []:
                initial[f"use_{key}"] = True
        kwargs["initial"] = {**kwargs.get("initial", {}), **initial}
        super().__init__(*args, **kwargs)
        self.program = program
        self.questions = list(program.questions.all())
        self.fields["capacity"].widget.attrs["class"] = "usa-select"
        for q in self.questions:
            name = f"q_{q.key}"
            required = q.required and q.audience == Audience.BOTH
            field: forms.Field
            if q.kind == QuestionKind.SINGLE:
                field = forms.ChoiceField(
                    choices=[("", "—"), *q.option_choices()],
                    required=required,
                    widget=forms.Select(attrs={"class": "usa-select"}),
                )
            elif q.kind == QuestionKind.MULTI:
                field = forms.MultipleChoiceField(
                    choices=q.option_choices(),
                    required=required,
                    widget=forms.CheckboxSelectMultiple,
                )
            elif q.kind == QuestionKind.NUMBER:
                field = forms.IntegerField(
                    required=required, widget=forms.NumberInput(attrs={"class": "usa-input"})
                )
            else:
                field = forms.CharField(
                    required=required,
                    max_length=1000,
                    widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
                )
            field.label = q.label
            help_text = q.help_text
            if q.audience == Audience.MENTEE:
                help_text = " ".join(filter(None, [str(_("Mentees only.")), help_text]))
            elif q.audience == Audience.MENTOR:
                help_text = " ".join(filter(None, [str(_("Mentors only.")), help_text]))
            if q.is_private:
                help_text = " ".join(
                    filter(
                        None,
                        [
                            help_text,
                            str(_("Private: never shown to your mentor or mentees.")),
                        ],
                    )
                )
            field.help_text = help_text
            self.fields[name] = field
            if q.is_preference and program.allow_participant_preferences:
                self.fields[f"use_{q.key}"] = forms.BooleanField(
                    required=False,
                    label=_("As a mentee, use this as a preference when I am matched"),
                    widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}),
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        for q in self.questions:
            if not q.required or q.audience == Audience.BOTH:
                continue
            applies = role == Role.EITHER or role == q.audience
            if applies and data.get(f"q_{q.key}") in (None, "", []):
                self.add_error(f"q_{q.key}", _("This field is required."))
        return data

    def answers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for q in self.questions:
            value = self.cleaned_data.get(f"q_{q.key}")
            if value not in (None, "", []):
                out[q.key] = value
        return out

    def preferences_used(self) -> list[str]:
        return [
            q.key
            for q in self.questions
            if q.is_preference and self.cleaned_data.get(f"use_{q.key}")
        ]


class ConstraintForm(forms.Form):
    kind = forms.ChoiceField(label=_("Rule"), choices=ConstraintKind.choices)
    mentee = forms.ModelChoiceField(label=_("Mentee"), queryset=Enrolment.objects.none())
    mentor = forms.ModelChoiceField(label=_("Mentor"), queryset=Enrolment.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, cycle: Cycle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = cycle.enrolments.filter(status="active").select_related("user")
        self.fields["mentee"].queryset = qs.exclude(role=Role.MENTOR)  # type: ignore[attr-defined]
        self.fields["mentor"].queryset = qs.exclude(role=Role.MENTEE)  # type: ignore[attr-defined]
        for f in self.fields.values():
            f.widget.attrs["class"] = (
                "usa-select" if isinstance(f.widget, forms.Select) else "usa-input"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mentee") and data.get("mentee") == data.get("mentor"):
            raise forms.ValidationError(_("A person cannot mentor themselves."))
        return data


class CheckInForm(forms.ModelForm):
    class Meta:
        model = CheckIn
        fields = ["met_on", "minutes", "note"]
        widgets = {
            "met_on": forms.DateInput(attrs={"type": "date", "class": "usa-input"}),
            "minutes": forms.NumberInput(attrs={"class": "usa-input"}),
            "note": forms.Textarea(attrs={"class": "usa-textarea", "rows": 2}),
        }


class GoalForm(forms.Form):
    text = forms.CharField(
        label=_("New goal"), max_length=300, widget=forms.TextInput(attrs={"class": "usa-input"})
    )


class FeedbackForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=FeedbackStage.choices,
        widget=forms.Select(attrs={"class": "usa-select"}),
    )
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with this mentoring relationship?"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_(
            "1 = not at all, 5 = very. The program sees only totals over a minimum group size."
        ),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
    )


# --- one-time connections -------------------------------------------------------------

#: A person needs at least this long to read and fill in the public form.
MIN_SECONDS = 3
#: A form older than this is refused (fetch the page again).
MAX_FORM_AGE = 24 * 3600
#: Requests accepted from one sender (a keyed hash of the address) per hour and per day.
PER_SENDER_HOUR = 3
PER_SENDER_DAY = 10
#: Requests accepted for one e-mail address per program per day.
PER_EMAIL_DAY = 2
_SALT = "ristra.mentoring.connection-form"


def form_token(program: Program, at: float | None = None) -> str:
    """A signed note of when the form was shown (the minimum-time check)."""
    return signing.dumps({"p": program.pk, "t": at if at is not None else time.time()}, salt=_SALT)


class ConnectionRequestForm(forms.Form):
    """The public form. It asks no demographics and nothing about one's background."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Your e-mail address"))
    interests = forms.MultipleChoiceField(
        label=_("Topics you are interested in"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("We look for someone who shares at least one of them."),
    )
    message = forms.CharField(
        label=_("What would you like to talk about?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The person you are introduced to reads this. Please do not include anything "
            "about your background you would not want someone who reviews applications "
            "to know."
        ),
    )
    #: Honeypot: hidden from people (and from assistive technology); bots fill it in.
    website = forms.CharField(label=_("Leave this empty"), required=False)
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, program: Program, sender_hash: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.sender_hash = sender_hash
        self.fields["interests"].choices = [(t, t) for t in program.connection_topics or []]  # type: ignore[attr-defined]
        self.fields["started"].initial = form_token(program)
        self.fields["website"].widget.attrs.update(
            {"autocomplete": "off", "tabindex": "-1", "class": "usa-input"}
        )
        for name in ("name", "email"):
            self.fields[name].widget.attrs["class"] = "usa-input"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["message"].widget.attrs["class"] = "usa-textarea"
        self.is_spam = False

    def _refuse(self) -> NoReturn:
        self.is_spam = True
        raise forms.ValidationError(
            _("We could not accept this request. Please wait a minute and try again."),
            code="refused",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.data.get("website"):
            self._refuse()
        try:
            token = signing.loads(self.data.get("started", ""), salt=_SALT, max_age=MAX_FORM_AGE)
        except signing.BadSignature:
            self._refuse()
        age = time.time() - float(token.get("t", 0))
        if token.get("p") != self.program.pk or not MIN_SECONDS <= age <= MAX_FORM_AGE:
            self._refuse()
        now = timezone.now()
        recent = Connection.objects.filter(created_at__gte=now - dt.timedelta(days=1))
        if self.sender_hash:
            mine = recent.filter(sender_hash=self.sender_hash)
            hour = now - dt.timedelta(hours=1)
            if mine.count() >= PER_SENDER_DAY or mine.filter(created_at__gte=hour).count() >= (
                PER_SENDER_HOUR
            ):
                self._refuse()
        email = data.get("email")
        if (
            email
            and recent.filter(program=self.program, email__iexact=email).count() >= PER_EMAIL_DAY
        ):
            self._refuse()
        return data


class VolunteerForm(forms.Form):
    topics = forms.MultipleChoiceField(
        label=_("Topics I am glad to talk about"), widget=forms.CheckboxSelectMultiple
    )
    per_month = forms.TypedChoiceField(
        label=_("Connections I accept a month"),
        choices=[(n, str(n)) for n in range(1, 11)],
        coerce=int,
        initial=2,
        widget=forms.Select(attrs={"class": "usa-select"}),
    )
    about = forms.CharField(
        label=_("A line about me for the introduction"),
        max_length=300,
        required=False,
        help_text=_("For example: 'PGY-2 in Pediatrics; moved here with a family'."),
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
    active = forms.BooleanField(label=_("Take new connections"), required=False, initial=True)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = [(t, t) for t in program.connection_topics or []]  # type: ignore[attr-defined]


class FollowUpForm(forms.Form):
    met = forms.TypedChoiceField(
        label=_("Did they meet?"),
        choices=[("", _("Not known yet")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        required=False,
        widget=forms.Select(attrs={"class": "usa-select"}),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
        help_text=_("Seen by the program's coordinators and the volunteer only."),
    )

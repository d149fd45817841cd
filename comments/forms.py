"""The "Leave a Reply" form: input validation and anti-spoofing, nothing else.

It never decides a comment's status and never calls the network. What it checks: the
fields (WordPress's sizes), the post accepts comments, the parent is an approved comment
of this post and not too deep, the captcha (guests only), and a signed timestamp that ties
the form to its post and says when it was handed out: too old is refused (the text is kept),
implausibly fast is let through but flagged (`sent_too_fast`) so the pipeline holds it. A form handed
back to correct (a wrong captcha, the captcha step of a cached page's form) carries the timestamp
of the reader's first form, as long as it is good: the time counts from there, and so does its age.
A hidden honeypot field is kept, not refused: a filled one marks the comment as spam.
The two "Notify me" boxes (WordPress.com's wording and field names) only say what the reader
asked to follow; the pipeline passes that on (signals.follow_requested).
A control character in any field refuses the form, saying so (only the comment may hold line
breaks and tabs), and the email must be one the site can mail and tell from others
(addresses.validate_address).
"""

import time
from urllib.parse import urlsplit

from captcha.fields import CaptchaField
from captcha.models import CaptchaStore
from django import forms
from django.conf import settings
from django.core import signing
from django.middleware.csrf import get_token
from django.utils import timezone

from groundwork.email_addresses import EmailAddressField
from groundwork.site_url import absolute_url

from . import akismet, closing
from .commenters import commenter
from .models import LINE_BREAKS_AND_TABS, Comment, NoControlCharacters, Report

TIMESTAMP_SALT = "comments.form-timestamp"


def size(field: str) -> int:
    """A field's limit, as the model stores it (WordPress's sizes)."""
    return Comment._meta.get_field(field).max_length


def issue_timestamp(post, *, kept: str | None = None) -> str:
    """A signed token saying which post the form is for and when it was handed out: `kept`, the token of the form
    the reader sent, while it is good (a retype is not "too fast" for the time already spent), or else a new one."""
    try:
        issued_at(kept or "", post)
    except signing.BadSignature:
        return signing.dumps({"post": post.pk, "at": time.time()}, salt=TIMESTAMP_SALT, compress=True)
    return kept


def issued_at(timestamp: str, post) -> float:
    """When the form with this signed `timestamp` was handed out. Raises signing.SignatureExpired when that was
    longer than COMMENTS_FORM_MAX_AGE ago, signing.BadSignature when it was not signed here for this post."""
    issued = signing.loads(timestamp, salt=TIMESTAMP_SALT, max_age=settings.COMMENTS_FORM_MAX_AGE)
    if not isinstance(issued, dict) or issued.get("post") != post.pk:
        raise signing.BadSignature("A timestamp for another post.")
    return issued["at"]


class PlainTextField(forms.CharField):
    """Text that may hold line breaks and tabs, and no other control character; line ends become "\\n"."""

    default_validators = [NoControlCharacters(allowed=LINE_BREAKS_AND_TABS)]

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


class SingleLineField(forms.CharField):
    """A name: one line, so it cannot write lines of its own into an email; no control character, not even a tab.

    Runs of spaces become one.
    """

    default_validators = [NoControlCharacters()]

    def clean(self, value):
        value = super().clean(value)
        return " ".join(value.split()) if value else value


class HttpUrlField(forms.URLField):
    default_validators = [*forms.URLField.default_validators, NoControlCharacters()]
    default_error_messages = {"invalid": "Enter a website address starting with http:// or https://."}

    def __init__(self, **kwargs):
        super().__init__(assume_scheme="https", **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value and not value.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class DescribedByTheNotes(forms.BoundField):
    """The email box: described by its error, then by the note the form shows once above the fields (NOTES_ID)."""

    NOTES_ID = "email-notes"

    @property
    def aria_describedby(self):
        return " ".join([f"{self.auto_id}_error", self.NOTES_ID] if self.errors else [self.NOTES_ID])


class CheckboxSending(forms.CheckboxInput):
    """A box that sends `value` when ticked, ticked or not when the form comes back (WordPress's values)."""

    def __init__(self, value: str):
        super().__init__()
        self.sent = value

    def format_value(self, value):
        return self.sent


def checkbox(label: str, value: str) -> forms.BooleanField:
    """An optional box that sends `value` when ticked."""
    return forms.BooleanField(required=False, label=label, widget=CheckboxSending(value))


class CommentForm(forms.Form):
    comment = PlainTextField(max_length=size("body"), widget=forms.Textarea(attrs={"rows": 8, "cols": 45}))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    timestamp = forms.CharField(widget=forms.HiddenInput)
    subscribe_comments = checkbox("Notify me of new comments via email.", "subscribe")
    subscribe_blog = checkbox("Notify me of new posts via email.", "subscribe")

    error_messages = {
        "closed": "Comments are closed on this article.",
        "parent": "The comment you are replying to is not available any more.",
        "depth": "Replies can't be nested that deep; please reply further up the thread.",
        "expired": "This form was open too long. Please check your comment and send it again.",
        "tampered": "This form could not be verified. Please check your comment and send it again.",
    }

    def __init__(self, post, user, *args, **kwargs):
        self.post, self.user = post, user
        self.sent_too_fast = False
        super().__init__(*args, **kwargs)
        self.fields[settings.COMMENTS_HONEYPOT_FIELD] = forms.CharField(
            required=False, max_length=size("honeypot_value"), label="Leave this field empty", widget=forms.TextInput
        )

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        if not parent_id:
            return None
        parent = Comment.objects.approved().filter(pk=parent_id, post=self.post).first()
        if parent is None:
            raise forms.ValidationError(self.error_messages["parent"], code="parent")
        if parent.depth >= settings.COMMENTS_MAX_DEPTH:
            raise forms.ValidationError(self.error_messages["depth"], code="depth")
        return parent

    def clean_timestamp(self):
        try:
            handed_out = issued_at(self.cleaned_data["timestamp"], self.post)
        except signing.SignatureExpired:
            raise forms.ValidationError(self.error_messages["expired"], code="expired") from None
        except signing.BadSignature:
            raise forms.ValidationError(self.error_messages["tampered"], code="tampered") from None
        self.sent_too_fast = time.time() - handed_out < settings.COMMENTS_MIN_SECONDS
        return self.cleaned_data["timestamp"]

    def clean(self):
        closed = closing.closed(self.post)
        if closed:
            message = closed.message if closed.site_wide else self.error_messages["closed"]
            raise forms.ValidationError(message, code="closed")
        return super().clean()

    def build_comment(self, *, post) -> Comment:
        """An unsaved comment from the cleaned data."""
        data = self.cleaned_data
        return Comment.build(
            post=post,
            parent=data.get("parent"),
            body=data["comment"],
            honeypot_value=data.get(settings.COMMENTS_HONEYPOT_FIELD, ""),
            **self.author_fields(),
        )

    def follow_choices(self) -> tuple[bool, bool]:
        """Whether the reader ticked "Notify me of new comments" and "Notify me of new posts"."""
        return bool(self.cleaned_data.get("subscribe_comments")), bool(self.cleaned_data.get("subscribe_blog"))

    def author_fields(self) -> dict:
        """A logged-in reader writes as their account: name and profile link from the provider, email never shown."""
        user, who = self.user, commenter(self.user)
        return {"user": user, "author_name": who.name, "author_email": user.email, "author_url": who.profile_url}


class CaptchaWithExpiry(CaptchaField):
    """django-simple-captcha's field, telling a picture that expired (CAPTCHA_TIMEOUT) from a wrong answer."""

    messages = {
        "invalid": "The characters you typed don't match the picture. Please try the new one.",
        "expired": "The picture expired before the comment was sent. Please type the characters in the new one.",
    }

    def __init__(self, **kwargs):
        super().__init__(error_messages=self.messages, **kwargs)

    def clean(self, value):
        key = value[0] if value else ""
        expired = CaptchaStore.objects.filter(hashkey=key, expiration__lte=timezone.now())
        if key and expired.exists():
            expired.delete()
            raise forms.ValidationError(self.error_messages["expired"], code="expired")
        return super().clean(value)


class GuestCommentForm(CommentForm):
    """For readers who are not logged in: their details and a captcha."""

    email = EmailAddressField(
        max_length=size("author_email"),
        help_text="Your email address will not be published.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        bound_field_class=DescribedByTheNotes,
    )
    name = SingleLineField(max_length=size("author_name"), widget=forms.TextInput(attrs={"autocomplete": "name"}))
    url = HttpUrlField(
        label="Website",
        max_length=size("author_url"),
        required=False,
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
    )
    remember = checkbox("Save my name, email, and website in this browser for the next time I comment.", "yes")
    captcha = CaptchaWithExpiry(label="Type the characters in the picture")

    def author_fields(self) -> dict:
        data = self.cleaned_data
        return {"author_name": data["name"].strip(), "author_email": data["email"], "author_url": data.get("url", "")}


def comment_form_for(user, post, *args, **kwargs) -> CommentForm:
    form_class = CommentForm if user.is_authenticated else GuestCommentForm
    return form_class(post, user, *args, **kwargs)


def form_context(request, post, form, *, reply_to=None, personal=True) -> dict:
    """What the "Leave a Reply" form's template needs, under an article or on a page of its own.

    `personal`: a page for this reader only, so the per-visitor values (the CSRF token, the signed
    timestamp) may be in it; a page every reader shares gets them from the form-state endpoint. A form the
    reader sent keeps its timestamp (`issue_timestamp`).
    """
    return {
        "post": post,
        "form": form,
        "reply_to": reply_to,
        "timestamp": issue_timestamp(post, kept=form["timestamp"].value()) if personal else "",
        "form_csrf_token": get_token(request) if personal else "",
        "honeypot_field": settings.COMMENTS_HONEYPOT_FIELD,
        "uses_akismet": akismet.is_configured(),
        "login_template": settings.COMMENTS_LOGIN_TEMPLATE,
    }


# Reporting a comment (reports.py): a reason and a note; "Illegal content" is a notice under the DSA's Art. 16, and
# asks for what the article says a notice holds.


class ThisSitesUrlField(forms.CharField):
    """An address on this site (SITE_URL's scheme and host): a notice is about a comment here, and says where it is.

    Nothing else is accepted: an address elsewhere names content this site does not host, and is one more link
    a stranger could put before the moderators.
    """

    default_validators = [NoControlCharacters()]
    default_error_messages = {"elsewhere": "Give the address of the comment on this site, starting with %(site)s/."}

    def to_python(self, value):
        value = super().to_python(value)
        site = urlsplit(absolute_url("/"))
        given = urlsplit(value)
        if value and (given.scheme.lower(), given.netloc.lower()) != (site.scheme, site.netloc.lower()):
            raise forms.ValidationError(
                self.error_messages["elsewhere"], code="elsewhere", params={"site": absolute_url("/").rstrip("/")}
            )
        return value


def report_size(field: str) -> int:
    return Report._meta.get_field(field).max_length


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you reporting this comment?", choices=Report.Reason, widget=forms.RadioSelect
    )
    note = PlainTextField(
        label="Anything to add? (optional)",
        required=False,
        max_length=report_size("note"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 45}),
    )
    explanation = PlainTextField(
        label="Why is this comment illegal?",
        required=False,
        max_length=report_size("explanation"),
        help_text="Which law it breaks, and how, as precisely as you can.",
        widget=forms.Textarea(attrs={"rows": 5, "cols": 45}),
    )
    exact_url = ThisSitesUrlField(
        label="The comment's exact address", required=False, max_length=report_size("exact_url")
    )
    reporter_name = SingleLineField(
        label="Your name",
        required=False,
        max_length=report_size("reporter_name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    reporter_email = EmailAddressField(
        label="Your email",
        required=False,
        max_length=report_size("reporter_email"),
        help_text="We confirm we received your notice, and tell you what we decide. Never shown on the site.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    good_faith = forms.BooleanField(
        label="I am convinced in good faith that the information and allegations in this notice are accurate and "
        "complete.",
        required=False,
    )

    NOTICE_FIELDS = ("explanation", "exact_url", "reporter_name", "reporter_email", "good_faith")
    error_messages = {
        "explanation": "Say why you hold the comment illegal.",
        "exact_url": "Give the comment's address.",
        "reporter_name": "Give your name.",
        "reporter_email": "Give your email address.",
        "good_faith": "Confirm that you send this notice in good faith.",
    }

    def clean(self):
        data = super().clean()
        if data.get("reason") == Report.Reason.ILLEGAL:
            for name in self.NOTICE_FIELDS:
                if name not in self.errors and not data.get(name):
                    self.add_error(name, forms.ValidationError(self.error_messages[name], code="required"))
        return data

    def report_details(self) -> dict:
        """The report's fields: a notice's details only for a notice."""
        data = self.cleaned_data
        details = {"reason": data["reason"], "note": data["note"]}
        if data["reason"] == Report.Reason.ILLEGAL:
            details |= {name: data[name] for name in self.NOTICE_FIELDS}
        return details

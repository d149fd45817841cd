"""The comment a reader was writing when they left to log in, kept in their session until they are back.

Pressing a provider's icon under "Leave a Reply" posts the comment form itself to
`views.comment_login` (with or without JavaScript). The text and the comment it answers are kept
here; allauth takes the reader to the provider and back to `Draft.return_url()` - the form under
the article, answering the same comment - and the form shows the text again (`take`). Django's
login() keeps the session's data, and a failed or refused login leaves the draft where it was, so
the text survives either way. Log Out and Change keep it the same way.
"""

from dataclasses import asdict, dataclass

from .models import Comment

SESSION_KEY = "comment_draft"
MAX_LENGTH = Comment._meta.get_field("body").max_length  # the comment field's own limit


@dataclass(frozen=True)
class Draft:
    post_id: int
    text: str = ""
    parent_id: int | None = None

    @classmethod
    def from_form(cls, post, data) -> "Draft":
        """The draft in a posted comment form. A parent that is not an approved comment of the post is dropped."""
        parent = data.get("parent", "")
        parent_id = int(parent) if parent.isdigit() else None
        if parent_id and not Comment.objects.approved().for_post(post).filter(pk=parent_id).exists():
            parent_id = None
        return cls(post_id=post.pk, text=data.get("comment", "")[:MAX_LENGTH], parent_id=parent_id)

    def return_url(self, post) -> str:
        """The form under the article, answering the same comment (the address a Reply link has without JavaScript)."""
        query = f"?replytocom={self.parent_id}" if self.parent_id else ""
        return f"{post.get_absolute_url()}{query}#respond"


def keep(request, draft: Draft) -> None:
    request.session[SESSION_KEY] = asdict(draft)


def kept(request) -> Draft | None:
    """The draft waiting in this session, if any (without forgetting it)."""
    data = request.session.get(SESSION_KEY)
    try:
        return Draft(**data) if data else None
    except TypeError:  # a session written by another version
        return None


def take(request, post) -> dict:
    """The kept text as initial data for this article's form, forgotten once shown; {} when there is none."""
    draft = kept(request)
    if draft is None or draft.post_id != post.pk:
        return {}
    del request.session[SESSION_KEY]
    return {"comment": draft.text} if draft.text else {}

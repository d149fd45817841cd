"""The comment thread of one article, loaded in one query and nested in Python."""

from dataclasses import dataclass, field

from .cookies import own_comment_ids
from .models import Comment, Status


@dataclass
class Node:
    comment: Comment
    replies: list["Node"] = field(default_factory=list)

    @property
    def awaiting_moderation(self):
        return self.comment.status == Status.PENDING


@dataclass
class Thread:
    roots: list[Node]
    approved_count: int
    by_id: dict[int, Comment]


def load_thread(post, request) -> Thread:
    """Approved comments, plus the reader's own held ones, as a tree (memoised on the post)."""
    if getattr(post, "_comment_thread", None) is None:
        comments = list(Comment.objects.for_post(post).visible_to(own_comment_ids(request)).thread_order())
        nodes = {c.pk: Node(c) for c in comments}
        roots = []
        for comment in comments:
            comment.post = post  # Known already: spares get_reply_url a query per comment.
            parent = nodes.get(comment.parent_id)
            (parent.replies if parent else roots).append(nodes[comment.pk])
        approved = sum(c.status == Status.APPROVED for c in comments)
        post._comment_thread = Thread(roots=roots, approved_count=approved, by_id={c.pk: c for c in comments})
    return post._comment_thread

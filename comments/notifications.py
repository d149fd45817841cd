"""Who is told what about comments, by email. Sending happens in tasks, never in a request.

- `comment_held(comment)`: a new comment waits for moderation - tell the moderators.
- `comment_approved(comment)`: a comment was published - tell the post's author (setting).
"""


def comment_held(comment):
    """Queue the moderators' email about a held comment."""


def comment_approved(comment):
    """Queue the post author's email about a published comment."""

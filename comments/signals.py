"""What comments tell the apps above them, which connect in their AppConfig.ready (comments imports none of them).

- `follow_requested(comment, new_comments, new_posts)`: the reader ticked "Notify me of new
  comments via email." or "Notify me of new posts via email." under the form. Sent by
  `pipeline.submit_comment`, in the comment's transaction, for a comment that is not already spam.
- `comment_published(comment, event)`: a comment has just become approved, whatever approved it
  (the rules after the spam check, a moderator in the admin, a link in an email). Sent by
  `moderation.change_status`, in its transaction; `event` is the history row of that change.

Receivers only queue work (a task), so the request that sent the signal stays quick.
"""

from django.dispatch import Signal

follow_requested = Signal()
comment_published = Signal()

"""What comments tell the apps above them, which connect in their AppConfig.ready (comments imports none of them).

- `follow_requested(comment, new_comments, new_posts)`: the reader ticked "Notify me of new
  comments via email." or "Notify me of new posts via email." under the form. Sent by
  `pipeline.submit_comment`, in the comment's transaction, for a comment that is not already spam.
  A receiver returns True when it emailed the reader a link to confirm (the page they land on
  then says "Check your inbox"), anything else when it did not (already following, nothing sent).
- `comment_published(comment, event)`: a comment has just become approved, whatever approved it
  (the rules after the spam check, a moderator in the admin, a link in an email). Sent by
  `moderation.change_status`, in its transaction; `event` is the history row of that change.

Receivers run in the sender's transaction, so what they do holds up the request or task that sent
the signal. `comment_published`'s fail with it; `follow_requested`'s run in a savepoint of their own,
so a failing one is logged and loses what it was asked, never the reader's comment.
`follow_requested`'s receiver does its work there, in the comment form's POST: it locks the address,
records the subscriptions (confirming them at once for an address the reader's login provider
verified) and queues the confirmation email. `comment_published`'s receiver only looks up whether
there is anyone to tell and queues the work (a task, an email), so the approval stays quick.
"""

from django.dispatch import Signal

follow_requested = Signal()
comment_published = Signal()

"""Fill the site with demo content: an author, nested categories, tags and illustrated articles.

The content is data in `demo/content/`. Every row is keyed on its slug (the author on the username)
and a row that already exists is left alone: a second run creates nothing and never overwrites
an edit made in the admin. Each kind of content has an `ensure_*` function returning how many
rows it created; `Command.handle` calls them in order. Another kind of content (approved,
threaded comments, say) is one more function taking the posts, and one more line in `handle`.
"""

import os
from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from blog.models import Category, Post, Tag
from comments.models import Actor, Comment, Reason, Status
from comments.moderation import change_status, record_received
from demo.content import article_html, read_manifest
from demo.content.images import ILLUSTRATIONS


def ensure_illustrations():
    """Draw the demo images into MEDIA_ROOT/demo/ unless they are already there."""
    folder = Path(settings.MEDIA_ROOT) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    created = 0
    for name, draw in ILLUSTRATIONS.items():
        target = folder / name
        if target.exists():
            continue
        partial = target.with_suffix(".partial")
        draw().save(partial, format="PNG", optimize=True)
        os.replace(partial, target)
        created += 1
    return created


def ensure_author(fields):
    """The demo's writer: a plain user, not staff, who cannot log in until given a password."""
    user, created = get_user_model().objects.get_or_create(
        username=fields["username"],
        defaults={key: fields[key] for key in ("first_name", "last_name", "email")},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user, int(created)


def ensure_categories(rows):
    """Categories by slug, parents first; returns them all by slug."""
    categories, created = {}, 0
    for row in rows:
        parent = categories[row["parent"]] if "parent" in row else None
        category, is_new = Category.objects.get_or_create(
            slug=row["slug"],
            defaults={"name": row["name"], "parent": parent, "description": row.get("description", "")},
        )
        categories[category.slug] = category
        created += is_new
    return categories, created


def ensure_tags(names):
    """Tags by the slug of their name; returns them all by name."""
    tags, created = {}, 0
    for name in dict.fromkeys(names):
        tag, is_new = Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})
        tags[name] = tag
        created += is_new
    return tags, created


def ensure_posts(articles, *, author, categories, tags):
    """Published articles by slug, dated `days_ago` days before today; returns them all by slug."""
    posts, created = {}, 0
    today = timezone.localdate()
    for article in articles:
        day = today - timedelta(days=article["days_ago"])
        published_at = timezone.make_aware(datetime.combine(day, time.fromisoformat(article["time"])))
        post, is_new = Post.objects.get_or_create(
            slug=article["slug"],
            defaults={
                "title": article["title"],
                "author": author,
                "body": article_html(article["slug"]).replace("{MEDIA_URL}", settings.MEDIA_URL),
                "excerpt": article.get("excerpt", ""),
                "status": Post.Status.PUBLISHED,
                "published_at": published_at,
            },
        )
        if is_new:
            post.categories.set(categories[slug] for slug in article["categories"])
            post.tags.set(tags[name] for name in article["tags"])
        posts[post.slug] = post
        created += is_new
    return posts, created


def ensure_comments(rows, *, posts):
    """Readers' comments keyed on post, email and text; approved through the moderation path, with history."""
    by_key, created = {}, 0
    for row in rows:
        post = posts[row["post"]]
        parent = by_key.get(row.get("reply_to"))
        comment = Comment.objects.filter(post=post, author_email=row["email"], body=row["body"]).first()
        if comment is None:
            comment = Comment.build(
                post=post,
                parent=parent,
                body=row["body"],
                author_name=row["name"],
                author_email=row["email"],
                author_url=row.get("url", ""),
                reason=Reason.FIRST_COMMENT,
                ip_address="192.0.2.10",
                user_agent="Demo content",
            )
            comment.save()
            Comment.objects.filter(pk=comment.pk).update(
                created_at=post.published_at + timedelta(minutes=row["minutes_after"])
            )
            record_received(comment)
            if row.get("status", "approved") == "approved":
                change_status(comment, Status.APPROVED, actor=Actor.SYSTEM, reason=Reason.MODERATOR, note="Demo")
            created += 1
        by_key[row["key"]] = comment
    return by_key, created


class Command(BaseCommand):
    help = "Create the demo author, categories, tags and illustrated articles. Safe to run again."

    def handle(self, *args, **options):
        demo = read_manifest()
        articles = demo["articles"]
        images = ensure_illustrations()
        with transaction.atomic():
            author, new_authors = ensure_author(demo["author"])
            categories, new_categories = ensure_categories(demo["categories"])
            tags, new_tags = ensure_tags(name for article in articles for name in article["tags"])
            posts, new_posts = ensure_posts(articles, author=author, categories=categories, tags=tags)
            comments, new_comments = ensure_comments(demo.get("comments", []), posts=posts)

        made = new_authors + new_categories + new_tags + new_posts + new_comments + images
        if options["verbosity"] == 0:
            return
        if not made:
            self.stdout.write(f"Demo content already loaded ({len(posts)} articles by {author.get_full_name()}).")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content loaded: {new_posts} of {len(posts)} articles, {new_categories} of {len(categories)} "
                f"categories, {new_tags} of {len(tags)} tags, {new_comments} of {len(comments)} comments and "
                f"{images} of {len(ILLUSTRATIONS)} images were new (author: {author.get_username()})."
            )
        )

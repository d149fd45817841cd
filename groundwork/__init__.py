"""What every app shares: the mechanisms under the blog, the comments, following and privacy.

The bottom of the house: each app may import from here, and nothing here imports an app
(tests/test_layout.py holds both). One module per mechanism:

- `mail`: sending the site's email from the task worker, retried until the server takes it.
- `retry`: the one back-off rule for work that failed, and bringing retries forward when a service is back.
- `locking`: named locks for a read-then-write that several processes do at once.
- `limits`: rate limits per address and per network, for what anyone may ask without an account.
- `proxies`: who the reader is behind our own proxies (TRUSTED_PROXY_ADDRESSES).
- `links`: sealed, expiring links for emails, and the page such a link opens.
- `csrf`: forms posted from cached pages, checked in their views.
- `email_addresses`: which addresses are one person's, and which the site can mail.
- `site_url`: the site's public address, for links outside a request.
- `shared_pages` and `middleware`: what the front cache may keep; what the app servers do about
  the proxies in front, the database behind, and forms too large to read.
- `admin`: what the admin pages of every app have in common.
"""

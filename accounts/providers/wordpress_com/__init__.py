"""WordPress.com login (OAuth 2), in django-allauth's provider shape: allauth ships no WordPress.com provider."""

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db.models.signals import m2m_changed, post_delete, post_save


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # Models (allauth's, and logins.py's use of them) may be imported only once the app registry is ready.
        from allauth.socialaccount.models import SocialApp

        from .logins import invalidate_login_buttons, invalidate_on_setting

        # The login icons are cached (logins.py): forget them when the providers change.
        post_save.connect(invalidate_login_buttons, sender=SocialApp, dispatch_uid="accounts.app-saved")
        post_delete.connect(invalidate_login_buttons, sender=SocialApp, dispatch_uid="accounts.app-deleted")
        m2m_changed.connect(invalidate_login_buttons, sender=SocialApp.sites.through, dispatch_uid="accounts.app-sites")
        setting_changed.connect(invalidate_on_setting, dispatch_uid="accounts.setting-changed")

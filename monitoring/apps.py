from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from monitoring.middleware import end_all_sessions, stamp_login

        from . import signals  # noqa: F401  (connects the access-log receivers)

        # Session limits (monitoring.middleware): the login time, and logout everywhere.
        user_logged_in.connect(stamp_login, dispatch_uid="monitoring.stamp_login")
        user_logged_out.connect(end_all_sessions, dispatch_uid="monitoring.end_all_sessions")

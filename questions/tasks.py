"""Background tasks (Django's tasks framework; the backend is settings.TASKS).

A task takes plain, JSON-serialisable data and builds everything else itself, so it runs the
same in the request (ImmediateBackend) or later in a worker process.
"""

from django.contrib.auth.forms import PasswordResetForm
from django.tasks import task


@task
def send_password_reset_email(email: str, domain: str, protocol: str) -> None:
    """Mail a password-reset link to each active account with a usable password that uses
    `email` (none: nothing is sent). `domain` and `protocol` build the link, as the request that
    asked for it saw them. Returns nothing: a result store must not learn whether anyone got
    mail."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    form.save(domain_override=domain, use_https=protocol == "https")

"""Background tasks (Django's tasks framework; the backend is settings.TASKS).

A task takes plain, JSON-serialisable data and builds everything else itself, so it runs the
same in the request (ImmediateBackend) or later in a worker process.
"""

from django.contrib.auth.forms import PasswordResetForm
from django.tasks import task

from questions import code_runs


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


@task
def execute_code_run(run_id: int, attempt: int) -> None:
    """Run a queued Run or Submit (questions/code_runs.py); `attempt` makes it exactly once."""
    code_runs.execute(run_id, attempt)


@task
def watch_code_run(run_id: int) -> None:
    """Retry a run whose worker died, once, then report it (deferred; see code_runs)."""
    code_runs.watch(run_id)

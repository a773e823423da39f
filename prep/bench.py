"""The benchmark's baselines, served by the same stack as the app (only with PREP_BENCH=true).

`bare` does nothing: the ceiling of the stack. `bare_signed_in` does only what every
signed-in page must: read the session and the user. The gap between the two is the floor
under any page behind the login.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse


@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


def bare_signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")

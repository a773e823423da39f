from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from questions.views.today import today_page


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Visitors see what prep is; a signed-in user's home is Today."""
    if request.user.is_authenticated:
        return today_page(request)
    return render(request, "pages/home.html")

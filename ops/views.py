from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def health(request):
    """For monitors: 200 while the database answers, 503 when it does not. One query, no template.

    Not for taking app servers out of a load balancer: the database is every app server's, so its 503 would take
    them all out (docs/deployment.md, Health and logs).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")

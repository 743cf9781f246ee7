from django.http import HttpResponse


def status_page(request, token):
    return HttpResponse("status")

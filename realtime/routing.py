from django.urls import path

from realtime import consumers

websocket_urlpatterns = [
    path("ws/request/<int:pk>/", consumers.RequestSocket.as_asgi()),
    path("ws/status/<str:token>/", consumers.StatusSocket.as_asgi()),
    path("ws/live/", consumers.ListSocket.as_asgi()),
]

"""URLs of the prevention pages."""

app_name = "prevention"
urlpatterns: list = []

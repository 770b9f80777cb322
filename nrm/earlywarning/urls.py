"""URLs of the earlywarning pages."""

app_name = "earlywarning"
urlpatterns: list = []

"""URLs of the programme pages, under /programmes/."""

app_name = "programmes"
urlpatterns: list = []

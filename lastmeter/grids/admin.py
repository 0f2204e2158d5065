from django.contrib import admin

from lastmeter.grids.models import Grid


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community", "responsible_officer", "active"]
    list_filter = ["active", "community"]
    search_fields = ["code", "name"]

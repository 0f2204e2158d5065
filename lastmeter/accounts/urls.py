from django.urls import path

from lastmeter.accounts import views

app_name = "accounts"

urlpatterns = [
    path("2fa/", views.two_factor, name="two_factor"),
    path("2fa/enrol/", views.enrol, name="enrol"),
    path("2fa/verify/", views.verify, name="verify"),
    path("2fa/recovery-codes/", views.new_recovery_codes, name="new_recovery_codes"),
]

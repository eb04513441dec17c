"""Login and logout. The session key changes at login (Django's login()) and the session is deleted at logout."""

from django.contrib.auth import views as auth_views

from tongzhan.core.context_processors import site

from . import services
from .forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # Django's LoginView sets site_name to the request's host, over the context processor's name.
        context = super().get_context_data(**kwargs)
        context["site_name"] = site(self.request)["site_name"]
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        services.record_login(user=form.get_user())
        return response

    def form_invalid(self, form):
        services.record_login_failure(username=form.data.get("username", ""))
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            services.record_logout(user=request.user)
        return super().post(request, *args, **kwargs)

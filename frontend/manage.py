"""Creating, editing and deleting monitors and their tests, through the API's forms."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from frontend import forms, kinds, shapes
from frontend.api_client import BadResponse, Invalid, NotFound, Refused
from frontend.auth import api, current_api_url, current_token, login_required
from frontend.dashboard import private

bp = Blueprint("manage", __name__)


def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """One API call as the logged-in user, to their cell."""
    return api().send(method, path, current_token(), current_api_url(), **kwargs)


def get_monitor(mid: int) -> dict[str, Any]:
    try:
        monitor = call("GET", f"/monitors/{mid}")
    except NotFound:
        abort(404)
    if not isinstance(monitor.get("name"), str) or not isinstance(monitor.get("tests"), list):
        raise BadResponse(f"monitor {mid} has no name or tests")
    return monitor


def get_test(monitor: dict[str, Any], tid: int) -> dict[str, Any]:
    for test in monitor["tests"]:
        if isinstance(test, dict) and test.get("id") == tid:
            return test
    abort(404)


@bp.route("/monitors/new", methods=["GET", "POST"])
@login_required
def new_monitor() -> ResponseReturnValue:
    fields = ("name", *forms.TEST_FIELDS)
    defaults = {"name": "", **forms.test_defaults(_asked_kind())}
    form = forms.read(request.form if request.method == "POST" else {}, fields, defaults)
    if request.method == "GET" or request.form.get("choose_kind"):
        return _monitor_form(form)
    if not form.values["name"]:
        form.add("name", _("This field is required."))
    body = {"name": form.values["name"][: forms.NAME_MAX], "tests": [forms.test_body(form)]}
    if not form.ok:
        return _monitor_form(form)
    try:
        created = call("POST", "/monitors", json=body)
    except Invalid as exc:
        forms.api_errors(form, exc.errors or exc.detail, fields)
        return _monitor_form(form)
    except Refused as exc:
        form.add(forms.GENERAL, exc.detail or _("The monitoring service refused this change."))
        return _monitor_form(form)
    flash(_("Monitor “%(name)s” created.", name=form.values["name"]))
    return redirect(url_for("monitor_page.show", mid=created.get("id", 0)))


def _monitor_form(form: forms.Form) -> ResponseReturnValue:
    status = 200 if form.ok else 422
    html = render_template("monitor_form.html", form=form, **_form_helpers())
    return private_page(html, status)


def _form_helpers() -> dict[str, Any]:
    return {"kinds": forms.KINDS, "placeholder": forms.placeholder, "kind_fields": kinds.fields}


def _asked_kind() -> str:
    """The kind a link (or the no-script kind switch) asks the new-test form for."""
    kind = request.args.get("kind", "http")
    return kind if kind in forms.KINDS else "http"


@bp.route("/monitors/<int:mid>/edit", methods=["GET", "POST"])
@login_required
def edit_monitor(mid: int) -> ResponseReturnValue:
    monitor = get_monitor(mid)
    tags = shapes.as_list(monitor.get("tags"))
    form = forms.read(
        request.form if request.method == "POST" else {},
        ("name", "tags"),
        {"name": monitor["name"], "tags": ", ".join(map(str, tags))},
    )
    if request.method == "POST":
        if not form.values["name"]:
            form.add("name", _("This field is required."))
        if form.ok:
            # Tags are typed comma-separated; the API judges each (and names the field).
            body = {
                "name": form.values["name"],
                "tags": [t.strip() for t in form.values["tags"].split(",") if t.strip()],
            }
            try:
                call("PATCH", f"/monitors/{mid}", json=body)
            except Invalid as exc:
                forms.api_errors(form, exc.errors, ("name", "tags"))
            else:
                flash(_("Changes saved."))
                return redirect(url_for("monitor_page.show", mid=mid))
    html = render_template("monitor_edit.html", form=form, monitor=monitor, mid=mid)
    return private_page(html, 200 if form.ok else 422)


@bp.route("/monitors/<int:mid>/delete", methods=["GET", "POST"])
@login_required
def delete_monitor(mid: int) -> ResponseReturnValue:
    monitor = get_monitor(mid)
    if request.method == "GET":
        return private_page(
            render_template(
                "confirm_delete.html",
                what=monitor["name"],
                action=url_for("manage.delete_monitor", mid=mid),
                back=url_for("monitor_page.show", mid=mid),
            )
        )
    try:
        call("DELETE", f"/monitors/{mid}")
    except NotFound:
        pass  # already gone: what the user wanted
    flash(_("Monitor “%(name)s” deleted.", name=monitor["name"]))
    return redirect(url_for("dashboard.show"))


@bp.route("/monitors/<int:mid>/tests/new", methods=["GET", "POST"])
@bp.route("/monitors/<int:mid>/tests/<int:tid>/edit", methods=["GET", "POST"])
@login_required
def test_form(mid: int, tid: int | None = None) -> ResponseReturnValue:
    monitor = get_monitor(mid)
    editing = tid is not None
    stored = forms.test_values(get_test(monitor, tid)) if tid is not None else None
    defaults = stored or forms.test_defaults(_asked_kind())
    form = forms.read(request.form if request.method == "POST" else {}, forms.TEST_FIELDS, defaults)
    if stored is not None:
        form.values["kind"] = stored["kind"]  # a test keeps its kind
    if request.method == "POST" and not request.form.get("choose_kind"):
        body = forms.test_body(form, editing=editing, stored=stored)
        if form.ok:
            try:
                if tid is None:
                    call("POST", f"/monitors/{mid}/tests", json=body)
                else:
                    call("PATCH", f"/monitors/{mid}/tests/{tid}", json=body)
            except Invalid as exc:
                forms.api_errors(form, exc.errors or exc.detail, forms.TEST_FIELDS)
            except Refused as exc:
                form.add(
                    forms.GENERAL, exc.detail or _("The monitoring service refused this change.")
                )
            else:
                flash(_("Changes saved."))
                return redirect(url_for("monitor_page.show", mid=mid))
    html = render_template(
        "test_form.html", form=form, monitor=monitor, mid=mid, tid=tid, **_form_helpers()
    )
    return private_page(html, 200 if form.ok else 422)


@bp.route("/monitors/<int:mid>/tests/<int:tid>/delete", methods=["GET", "POST"])
@login_required
def delete_test(mid: int, tid: int) -> ResponseReturnValue:
    monitor = get_monitor(mid)
    test = get_test(monitor, tid)
    what = f"{test.get('kind', '')} {forms.test_values(test)['url']}"
    if request.method == "GET":
        return private_page(
            render_template(
                "confirm_delete.html",
                what=what,
                action=url_for("manage.delete_test", mid=mid, tid=tid),
                back=url_for("monitor_page.show", mid=mid),
            )
        )
    try:
        call("DELETE", f"/monitors/{mid}/tests/{tid}")
    except NotFound:
        pass
    flash(_("Test deleted."))
    return redirect(url_for("monitor_page.show", mid=mid))


def private_page(html: str, status: int = 200) -> ResponseReturnValue:
    return private(Response(html, status=status))

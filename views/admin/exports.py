"""The Candidatures list's outputs: "Exporter" (the list as the user filters,
searches and sorts it, in XLSX or CSV, with the columns they choose) and the
"Télécharger les dossiers" action (a ZIP of the dossier PDFs of the selection).

A mixin of views.admin.candidatures.CandidatureView: it reads the view's own
scoped query (get_list → get_query → ecandidat.permissions), so it exports only
what the list shows. Reading is allowed to read-only users. The columns, the rows
and the formats are ecandidat.exports'."""
import tempfile

from flask import (Response, current_app, flash, request, send_file, stream_with_context,
                   url_for)
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _, lazy_gettext as _l

from ecandidat import clock, dossiers, exports
from views.admin.base import ConsoleModelView, current_scope

# The query-string arguments of the list that say what it shows (filters are flt…).
LIST_ARGS = ("search", "sort", "desc")
OUTPUT_ACTIONS = ("dossiers",)  # reading only: open to read-only users as well


def list_args(args):
    """[(name, value)] of the list's search, sort and filter arguments in `args`."""
    return [(name, value) for name in args for value in args.getlist(name)
            if name in LIST_ARGS or name.startswith("flt")]


class CandidatureOutputsMixin:
    """Exporter and Télécharger les dossiers, for a ConsoleModelView of candidatures."""
    export_batch_size = exports.BATCH_SIZE

    def is_action_allowed(self, name):
        if name in OUTPUT_ACTIONS:
            # Skip ConsoleModelView's read-only refusal: downloading changes nothing.
            return super(ConsoleModelView, self).is_action_allowed(name)
        return super().is_action_allowed(name)

    # --- Exporter ----------------------------------------------------------------------

    def export_query(self):
        """The list's query as the request's arguments filter, search and sort it,
        unpaginated and not executed (scope: the view's get_query)."""
        args = self._get_list_extra_args()
        column = self._get_column_by_idx(args.sort)
        sort_column = column[0] if column and column[0] in self._sortable_columns else None
        _count, query = self.get_list(0, sort_column, args.sort_desc, args.search, args.filters,
                                      execute=False, page_size=0)
        return query

    @expose("/exporter/")
    def export_view(self):
        """GET without `format`: the form (columns to tick); with format=csv or xlsx
        and the ticked `colonne`s: the file, streamed."""
        kind = request.args.get("format")
        keys = request.args.getlist("colonne")
        columns = exports.columns_for(keys)
        if kind in ("csv", "xlsx") and columns:
            return self._export_file(kind, columns)
        if kind is not None and not columns:
            flash(_("Cochez au moins une colonne à exporter."), "error")
        chosen = set(keys) if kind is not None else set(exports.DEFAULT_COLUMNS)
        return self.render("admin/candidature_export.html", columns=exports.COLUMNS,
                           chosen=chosen, list_args=list_args(request.args),
                           list_url=url_for(".index_view", **_as_multidict(request.args)))

    def _export_file(self, kind, columns):
        rows = exports.candidature_rows(current_scope(), self.export_query(), columns,
                                        batch_size=self.export_batch_size)
        stamp = clock.local(clock.now()).strftime("%Y%m%d-%H%M")
        if kind == "csv":
            chunks, mimetype = exports.csv_chunks(columns, rows), exports.CSV_TYPE
        else:
            chunks = exports.xlsx_chunks(columns, rows, _("Candidatures"))
            mimetype = exports.XLSX_TYPE
        response = Response(stream_with_context(chunks), mimetype=mimetype)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="candidatures-{stamp}.{kind}"')
        return _private(response)

    # --- Télécharger les dossiers ------------------------------------------------------

    @action("dossiers", _l("Télécharger les dossiers"))
    def action_dossiers(self, ids):
        """The dossier PDF of each selected candidature, in one ZIP: every id must be
        in the user's scope (else nothing is sent), at most DOWNLOAD_MULTIPLE_NB_MAX."""
        try:
            candidatures = exports.dossiers_selected(
                current_scope(), ids, current_app.config["DOWNLOAD_MULTIPLE_NB_MAX"])
        except exports.SelectionRefused as refused:
            flash(str(refused.message), "error")
            return None
        handle = tempfile.TemporaryFile()
        try:
            exports.dossiers_zip(candidatures, handle)
        except dossiers.NotReady:
            handle.close()
            flash(_("Des dossiers de la sélection sont en cours de préparation : réessayez "
                    "dans quelques instants."), "error")
            return None
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        stamp = clock.local(clock.now()).strftime("%Y%m%d-%H%M")
        return _private(send_file(handle, mimetype="application/zip", as_attachment=True,
                                  download_name=f"dossiers-{stamp}.zip", max_age=0,
                                  conditional=False))


def _as_multidict(args):
    return {name: args.getlist(name) for name in {n for n, _v in list_args(args)}}


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

"""Console "Candidatures": the list, the "Ouvrir" page and the actions of a
gestionnaire de centre, a membre de commission or an administrateur on the
candidatures they may see.

Every row, page, file and action goes through ecandidat.permissions: the list
(get_query), its count (get_count_query), the details and the piece files
(get_one), the selection of an action (commission.candidatures_for); an id
outside the scope answers 404. The actions call ecandidat.workflow.commission,
which checks the rules (role, read-only, statut) again on the server."""
import operator
import re
from functools import reduce

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.tools import parse_like_term
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _, lazy_gettext as _l
from peewee import (JOIN, SQL, NodeList, Ordering, PostgresqlDatabase, SqliteDatabase,
                    Table)

from ecandidat import clock, codes, db, permissions, workflow
from ecandidat.models import (AuditLog, Avis, Candidat, Candidature, Commission, CompteCandidat,
                              Formation, MotivationAvis, PieceCandidat, ReponseQuestion, User)
from ecandidat.pdf import dossier_context
from ecandidat.workflow import commission
from ecandidat.workflow.commission import InvalidInput
from forms.console_actions import BlocNotesForm, PieceStatutForm
from views import form_view
from views.admin import candidature_list as cells
from views.admin.base import ConsoleModelView, current_scope
from views.admin.exports import CandidatureOutputsMixin
from views.admin.base import console_user
from views.admin.candidature_actions import (ACTIONS, access_refusal, action_label, fill_form,
                                             offered, readable_changes, show_errors)
from views.files import send_private_bytes, send_private_file

CONSOLE_ROLES = ("admin", "gestionnaire", "commission")
# Flask-Admin list actions ("Avec la sélection") → the action pages (ACTIONS).
LIST_ACTIONS = {slug.replace("-", "_"): slug for slug in ACTIONS}
# The search's trigram indexes (migrations 0014 and 0015): PostgreSQL's pg_trgm ones on
# the candidats' searched columns, SQLite's FTS5 tables (table → its full-text table).
TRGM_INDEXES = ("candidat_nom_patronymique_trgm", "candidat_nom_usuel_trgm",
                "compte_candidat_numero_dossier_trgm")
FTS_TABLES = {Candidat: "candidat_recherche", CompteCandidat: "compte_candidat_recherche"}
# Three characters in a row that are not a LIKE wildcard: a trigram to look up.
TRIGRAM = re.compile(r"[^%_]{3}")
# A search that finds this many candidatures or fewer is sorted after it is read (SQLite).
SORT_FOUND = 1000
# Formations matched by a search word, given to the query as ids up to this many.
MAX_LISTED_IDS = 200
_trigram_indexes = {}  # database → "pg_trgm", "fts5" or None (read once per process)


def search_terms(search):
    """The LIKE patterns of the list's search, one per word (Flask-Admin's syntax:
    "^mot" starts with, "=mot" is exactly, otherwise contains)."""
    return [parse_like_term(word) for word in (search or "").split(" ") if word]


def trigram_searchable(term):
    """Whether a trigram index can find the rows `term` (a LIKE pattern) matches: it
    has three characters in a row between its wildcards. Shorter words ("Li", "%",
    "a_b") are matched on the rows themselves, as before the indexes."""
    return bool(TRIGRAM.search(term))


def trigram_indexed(database):
    """Which trigram indexes `database` has for the search: "pg_trgm", "fts5" or None
    (PostgreSQL without the pg_trgm extension, SQLite without FTS5's trigram
    tokenizer: the migrations go on without them). Looked up once per process."""
    if database not in _trigram_indexes:
        if isinstance(database, PostgresqlDatabase):
            found = database.execute_sql(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname = ANY(%s)", (list(TRGM_INDEXES),)).fetchone()[0]
            kind = "pg_trgm" if found == len(TRGM_INDEXES) else None
        else:
            tables = set(database.get_tables())
            kind = "fts5" if set(FTS_TABLES.values()) <= tables else None
        _trigram_indexes[database] = kind
    return _trigram_indexes[database]


def unindexed(ordering):
    """An ORDER BY term of SQLite's that no index gives: its expression behind the
    unary `+` (the same value, the same order)."""
    return Ordering(NodeList((SQL("+"), ordering.node), glue=""), ordering.direction,
                    ordering.collation, ordering.nulls)


def fts_rows(model, field, term):
    """The ids of `model`'s rows whose `field` is LIKE `term`, from its FTS5 trigram
    table (migration 0015: rowid = the row's id, the same columns). FTS5 finds them
    in its index; SQLite checks the LIKE again on each: the rows LIKE gives."""
    table = Table(FTS_TABLES[model], ("rowid", field.column_name))
    return table.select(table.rowid).where(getattr(table, field.column_name) ** term)


class CandidatureView(CandidatureOutputsMixin, ConsoleModelView):
    """The candidatures of the user's scope; "Ouvrir" shows the whole file and
    offers the actions; the list's selection offers them on several."""
    roles = CONSOLE_ROLES
    allow_create = allow_edit = allow_delete = False
    can_export = False
    action_disallowed_list = ["delete"]
    details_template = "admin/candidature_details.html"
    list_template = "admin/candidature/list.html"
    page_size = 50

    column_list = ("numero_dossier", "nom", "prenom", "formation", "statut",
                   "type_traitement", "dernier_avis", "confirmation", "date_transmission",
                   "tags")
    # Unused by the "Ouvrir" page (its own template), listed so no raw name can show.
    column_details_list = column_list
    column_sortable_list = (
        ("numero_dossier", CompteCandidat.numero_dossier),
        ("nom", Candidat.nom_patronymique), ("prenom", Candidat.prenom),
        ("formation", Formation.libelle), "statut", "type_traitement", "confirmation",
        "date_transmission")
    # get_list ends every order with the id (a total order an index walks, 0007).
    column_default_sort = ("date_transmission", True)
    column_searchable_list = (CompteCandidat.numero_dossier, Candidat.nom_patronymique,
                              Candidat.nom_usuel, Formation.libelle, Formation.code)
    column_formatters = {
        "numero_dossier": cells.numero,
        "nom": lambda v, c, m, n: m.candidat.nom_usuel or m.candidat.nom_patronymique,
        "prenom": lambda v, c, m, n: m.candidat.prenom,
        "formation": lambda v, c, m, n: m.formation.libelle,
        "statut": cells.code_label(codes.STATUT_DOSSIER),
        "type_traitement": cells.traitement,
        "dernier_avis": cells.dernier_avis,
        "confirmation": cells.code_label(codes.CONFIRMATION),
        "date_transmission": cells.transmission,
        "tags": cells.tags,
    }
    column_filters = cells.column_filters()
    form_columns = ("bloc_notes",)
    labels = {
        "numero_dossier": _l("N° de dossier"),
        "statut": _l("Statut du dossier"),
        "dernier_avis": _l("Dernier avis"),
        "confirmation": _l("Confirmation"),
        "date_transmission": _l("Date de transmission"),
        "bloc_notes": _l("Bloc-notes"),
        "tags": _l("Tags"),
        "Formation": _l("Formation"),
    }
    # Models joined by get_query: Flask-Admin must not join them a second time
    # for a search, a filter or a sort on one of their fields.
    joined = {Candidat, CompteCandidat, Formation, Commission}

    # --- scope -------------------------------------------------------------------------

    def get_query(self):
        return permissions.visible_candidatures(current_scope(), self._joined_query(),
                                                formation_joined=True)

    @staticmethod
    def _joined_query():
        return (Candidature.select(Candidature, Candidat, CompteCandidat, Formation, Commission)
                .join(Candidat).join(CompteCandidat)
                .switch(Candidature).join(Formation).join(Commission)
                .switch(Candidature))

    def _search_conditions(self, search, search_joined):
        """One condition per word of the list's search (as Flask-Admin's get_list);
        `search_joined`: the searched fields are matched on the query's joined rows."""
        return [reduce(operator.or_, (field ** term for field in self._search_fields))
                if search_joined else self._search_condition(term)
                for term in (search_terms(search) if self._search_supported else ())]

    def _narrowed(self, query, conditions, filters):
        """`query` with the search's `conditions` (_search_conditions) and the filters."""
        for condition in conditions:
            query = query.where(condition)
        for index, _name, value in filters or () if self._filters else ():
            flt = self._filters[index]
            query = flt.apply(query, flt.clean(value))
        return query

    def _search_condition(self, term):
        """A candidature one of whose searched fields matches `term` (a LIKE pattern):
        the same rows as `field ** term` on the joined rows, found from the matching
        rows of each searched table rather than by testing every candidature.

        The candidats: one sub-select per field, joined by UNION, each answered from
        its own index when `term` has three characters in a row and the database has
        the indexes (trigram_indexed): PostgreSQL's pg_trgm indexes (migrations 0014,
        0015) under the same ILIKE, SQLite's FTS5 trigram tables (0015) under the same
        LIKE (FTS5 finds the rows, SQLite checks the LIKE again on each). The
        formations (a few hundred rows) are read first, their ids given to the query.
        The candidatures of those candidats and formations are then one list of ids
        (`id IN (…)`, through the indexes on candidat_id and formation_id), which the
        count and the page read by their primary key: a few rows for a selective word,
        at 100,000 candidatures as at 1,000. Two lists side by side (`candidat_id IN
        (…) OR formation_id IN (…)`) are answered, by both databases, by reading
        every candidature."""
        fields = {}
        for field in self._search_fields:
            fields.setdefault(field.model, []).append(field)
        conditions = [field ** term for field in fields.pop(Candidature, [])]
        fts = trigram_indexed(db.database.obj) == "fts5" and trigram_searchable(term)
        candidat_ids = [
            fts_rows(Candidat, field, term) if fts else
            Candidat.select(Candidat.id).where(field ** term)
            for field in fields.pop(Candidat, [])]
        candidat_ids += [
            Candidat.select(Candidat.id).where(Candidat.compte.in_(
                fts_rows(CompteCandidat, field, term))) if fts else
            Candidat.select(Candidat.id).join(CompteCandidat).where(field ** term)
            for field in fields.pop(CompteCandidat, [])]
        formation_fields = fields.pop(Formation, [])
        if fields:
            raise LookupError(f"no search path to {sorted(m.__name__ for m in fields)}")
        matched = []
        if candidat_ids:
            matched.append(Candidature.select(Candidature.id).where(
                Candidature.candidat.in_(reduce(operator.or_, candidat_ids))))
        if formation_fields:
            formations = Formation.select(Formation.id).where(
                reduce(operator.or_, (field ** term for field in formation_fields)))
            formation_ids = [row[0] for row in formations.limit(MAX_LISTED_IDS + 1).tuples()]
            if formation_ids:
                # The ids themselves when few (the planners see how few); else the
                # sub-select: a SQLite before 3.32 takes at most 999 parameters.
                matched.append(Candidature.select(Candidature.id).where(
                    Candidature.formation.in_(formation_ids
                                              if len(formation_ids) <= MAX_LISTED_IDS
                                              else formations)))
        if matched:
            conditions.append(Candidature.id.in_(reduce(operator.or_, matched)))
        return reduce(operator.or_, conditions) if conditions else Candidature.id.is_null()

    def _search_on_joined_rows(self, scope, search):
        """Whether a search matches the joined rows of the scope rather than each
        searched table once (_search_condition): so when the scope is a quarter of
        the commissions or less (a membre de commission's), whose rows are fewer
        than the candidats (tools/bench_console: 150 ms against 280 at 100,000 on
        SQLite without index) — unless every word can be looked up in the trigram
        indexes, which find the few matching candidats whatever the volume."""
        if scope.all or len(scope.commissions) * 4 > Commission.select().count():
            return False
        return not (trigram_indexed(db.database.obj)
                    and all(trigram_searchable(term) for term in search_terms(search)))

    def _count_query(self, search, filters, search_joined):
        """The scoped candidatures, joined only to the tables the filters, the scope
        or a search on the joined rows read: every join is on a required foreign key,
        so these are get_query's rows."""
        scope = current_scope()
        needed = {field.model for field in self._search_fields} if search_joined else set()
        for index, _name, _value in filters or () if self._filters else ():
            needed.add(getattr(getattr(self._filters[index], "column", None), "model", None))
        if not scope.all:
            needed.add(Formation)
        query = Candidature.select(Candidature.id)
        if needed & {Candidat, CompteCandidat}:
            query = query.join(Candidat).join(CompteCandidat).switch(Candidature)
        if needed & {Formation, Commission}:
            query = query.join(Formation).switch(Candidature)
        if Commission in needed:
            query = query.join_from(Formation, Commission).switch(Candidature)
        return permissions.visible_candidatures(scope, query,
                                                formation_joined=bool(needed & {Formation,
                                                                                Commission}))

    def get_count_query(self):
        # The peewee backend counts get_query's filtered query; kept scoped for any caller.
        return permissions.visible_candidatures(current_scope(), Candidature.select())

    def get_one(self, id):
        return permissions.visible_candidature(current_scope(), id, self._joined_query())

    def _handle_join(self, query, field, joins):
        if getattr(field, "model", None) in self.joined:
            return query
        return super()._handle_join(query, field, joins)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """The page's rows, and their last avis and tags in one more query each
        (kept per request for the cells).

        Flask-Admin's own get_list, made to cost the same at 100,000 candidatures as
        at 1,000 (issue 11 §5, tools/bench_console): the count joins only the tables
        the filters and the scope read, not the four of the rows; the search finds
        the matching candidatures from each searched table, through the trigram
        indexes (_search_condition), unless the scope is narrow and a word too short
        for them (_search_on_joined_rows); the order ends with the id, so that it is
        total and an index walks it (0007); a page past the middle is read from the
        other end (the last page as cheap as the first)."""
        search_joined = bool(search_terms(search)) and self._search_on_joined_rows(
            current_scope(), search)
        conditions = self._search_conditions(search, search_joined)
        query = self._narrowed(self.get_query(), conditions, filters)
        count = None
        if not self.simple_list_pager:
            count = self._narrowed(self._count_query(search, filters, search_joined),
                                   conditions, filters).count()
        order = ([(self._sortable_columns[sort_column], sort_desc)] if sort_column is not None
                 else list(self._get_default_order() or ()))
        if not any(field == "id" if isinstance(field, str) else field is Candidature.id
                   for field, _desc in order):
            order.append(("id", bool(order and order[-1][1])))
        page_size = self.page_size if page_size is None else page_size
        start = page * page_size if page and page_size else 0
        from_end = bool(page_size and count is not None and execute
                        and start < count and start + page_size / 2 > count / 2)
        if from_end:  # the same rows, in the reversed order, counted from the end
            order = [(field, not desc) for field, desc in order]
            rows_on_page = min(page_size, count - start)
            start = count - start - rows_on_page
            page_size = rows_on_page
        query, _joins = self._order_by(query, set(), order)
        if (conditions and not search_joined and count is not None and count <= SORT_FOUND
                and isinstance(db.database.obj, SqliteDatabase)):
            # SQLite, without statistics, would walk the index of the order through
            # every candidature for the few the search found (tools/bench_console:
            # 20 ms at 100,000): it reads them by id and sorts them instead.
            query = query.order_by(*(unindexed(clause) for clause in query._order_by))
        if page_size:
            query = query.limit(page_size)
        if start:
            query = query.offset(start)
        if not execute:
            return count, query
        rows = list(query.execute())
        if from_end:
            rows.reverse()
        ids = [row.id for row in rows]
        g.last_avis = workflow.last_avis_by_candidature(ids)
        g.tags = commission.tags_of(ids)
        g.list_now = clock.now()
        return count, rows

    def _get_filter_groups(self):
        return cells.with_scoped_options(self, super()._get_filter_groups())

    # --- actions on a selection ("Avec la sélection") ----------------------------------------

    def _actor(self):
        return workflow.Actor.user(console_user(), current_scope())

    def is_action_allowed(self, name):
        if not super().is_action_allowed(name):
            return False
        slug = LIST_ACTIONS.get(name)
        return slug is None or offered(ACTIONS[slug], current_scope())

    def _selected(self, slug, ids):
        """The list's selection → the action's page (the selection in its URL,
        resolved again there in the user's scope)."""
        back = get_redirect_target() or url_for(".index_view")
        try:
            commission.candidatures_for(self._actor(), ids)
        except workflow.WorkflowError as error:
            flash(str(error.message), "error")
            return redirect(back)
        return redirect(url_for(".action_page", slug=slug, ids=",".join(ids), url=back))

    @action("type_traitement", _l("Type de traitement"))
    def action_type_traitement(self, ids):
        return self._selected("type-traitement", ids)

    @action("valider_type_traitement", _l("Valider le type de traitement"))
    def action_valider_type_traitement(self, ids):
        return self._selected("valider-type-traitement", ids)

    @action("statut", _l("Statut du dossier"))
    def action_statut(self, ids):
        return self._selected("statut", ids)

    @action("avis", _l("Saisir un avis"))
    def action_avis(self, ids):
        return self._selected("avis", ids)

    @action("valider_avis", _l("Valider les avis"))
    def action_valider_avis(self, ids):
        return self._selected("valider-avis", ids)

    @action("tags", _l("Tags"))
    def action_tags(self, ids):
        return self._selected("tags", ids)

    @action("date_retour", _l("Date limite de retour"))
    def action_date_retour(self, ids):
        return self._selected("date-retour", ids)

    @action("date_confirmation", _l("Date limite de confirmation"))
    def action_date_confirmation(self, ids):
        return self._selected("date-confirmation", ids)

    @action("confirmer", _l("Confirmation candidature"))
    def action_confirmer(self, ids):
        return self._selected("confirmer", ids)

    @action("desister", _l("Désistement candidature"))
    def action_desister(self, ids):
        return self._selected("desister", ids)

    # --- the action pages ----------------------------------------------------------------

    @expose("/actions/<slug>/", methods=("GET", "POST"))
    @form_view
    def action_page(self, slug):
        """One action's form on the selected candidatures (?ids=1,2,3; posted back in
        the form). A selection with an id outside the scope answers 404; a user the
        action is not for is sent back with the reason; the workflow decides the
        rest (its refusals shown next to the fields, as a flash, or as the list of
        the candidatures that block a selection — nothing is changed then)."""
        spec = ACTIONS.get(slug)
        if spec is None:
            abort(404)
        actor = self._actor()
        posted = request.method == "POST"
        form = spec.form() if posted else spec.form(ids=request.args.get("ids", ""))
        try:
            selection = commission.candidatures_for(actor, (form.ids.data or "").split(","))
        except workflow.WorkflowError:
            abort(404)
        back = self._back(selection)
        refusal = access_refusal(spec, actor, selection)
        if refusal:
            flash(str(refusal), "error")
            return redirect(back)
        form.ids.data = ",".join(str(c.id) for c in selection)
        form.needs_confirmation = spec.irreversible or len(selection) > 1
        today = clock.today()
        fill_form(spec, form, selection, today, first_display=not posted)
        blocked = []
        if posted and form.validate():
            try:
                result = spec.run(actor, selection, form)
            except InvalidInput as error:
                for message in show_errors(form, error.errors):
                    flash(message, "error")
            except workflow.BulkRefused as error:
                blocked = error.rows
                flash(str(error.message), "error")
            except workflow.WorkflowError as error:
                flash(str(error.message), "error")
            else:
                flash(spec.done(len(selection)), "success")
                for message in spec.report(result) if spec.report else ():
                    flash(message, "info")
                return redirect(self._back(selection, after_change=True))
        last_avis = (workflow.last_avis_by_candidature([c.id for c in selection])
                     if slug == "valider-avis" else None)
        if last_avis is not None:  # the page carries the avis it shows, now
            form.avis.data = ",".join(str(avis.id) for avis in last_avis.values())
        return self.render("admin/candidature/action.html", spec=spec, form=form, codes=codes,
                           selection=selection, blocked=blocked, return_url=back,
                           last_avis=last_avis,
                           action_url=url_for(".action_page", slug=slug, url=back))

    def _back(self, selection, after_change=False):
        """Where an action page returns: the page it was opened from (the list with
        its filters, or "Ouvrir"); after a change that took a single candidature
        out of the user's sight (a membre putting it back "En attente"), the list."""
        back = get_redirect_target() or (
            url_for(".details_view", id=selection[0].id) if len(selection) == 1
            else url_for(".index_view"))
        if after_change and len(selection) == 1 and self.get_one(selection[0].id) is None:
            return url_for(".index_view")
        return back

    # --- Ouvrir ------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        candidature = self.get_one(request.args.get("id"))
        if candidature is None:
            abort(404)
        return self._details(candidature)

    def _details(self, candidature, piece_form=None, bloc_form=None):
        """The "Ouvrir" page; `piece_form` (piece id, form) or `bloc_form`: a form
        posted with errors, shown again with what was typed."""
        actor = self._actor()
        context = dossier_context(candidature)
        allowed = workflow.refusals_by_action(actor, candidature)
        buttons = [(spec, url_for(".action_page", slug=spec.slug, ids=candidature.id,
                                  url=url_for(".details_view", id=candidature.id)))
                   for spec in ACTIONS.values()
                   if any(not allowed.get(key, [True]) for key in spec.rules)]
        piece_forms = {}
        if not allowed["statut_piece"]:
            for piece, row in context["pieces"]:
                # Dématérialisé: what the candidate provided; papier: every piece
                # asked (the commission records what arrived by post).
                if candidature.formation.demat and (
                        row is None or (row.statut == "AT" and not row.fichier)):
                    continue
                if piece_form and piece_form[0] == piece.id:
                    piece_forms[piece.id] = piece_form[1]
                else:
                    piece_forms[piece.id] = PieceStatutForm(
                        formdata=None, prefix=f"piece-{piece.id}",
                        statut=row.statut if row and row.statut in ("VA", "RE", "AT") else "",
                        commentaire=row.commentaire if row else None)
        if bloc_form is None and not allowed["bloc_notes"]:
            bloc_form = BlocNotesForm(formdata=None, bloc_notes=candidature.bloc_notes)
        return self.render(
            self.details_template, **context,
            date_confirmation=workflow.date_confirmation(candidature),
            tags=commission.tags_of([candidature.id]).get(candidature.id, []),
            tag_badges=cells.tag_badges, sva_alert=cells.sva_alert(candidature),
            sva_days=cells.sva_days(),
            avis_history=_avis_history(candidature), timeline=_timeline(candidature, context),
            action_label=action_label, readable_changes=readable_changes,
            buttons=buttons, piece_forms=piece_forms, bloc_form=bloc_form,
            return_url=url_for(".index_view"))

    @expose("/<int:candidature_id>/pieces/<int:piece_id>/statut", methods=("POST",))
    @form_view
    def piece_statut_view(self, candidature_id, piece_id):
        """Validée / Refusée (with the comment the candidate reads) / En attente."""
        candidature = self.get_one(candidature_id)
        if candidature is None:
            abort(404)
        form = PieceStatutForm(prefix=f"piece-{piece_id}")
        if form.validate():
            try:
                commission.changer_statut_piece(self._actor(), candidature, piece_id,
                                                form.statut.data, form.commentaire.data)
            except InvalidInput as error:
                for message in show_errors(form, error.errors):
                    flash(message, "error")
            except workflow.WorkflowError as error:
                flash(str(error.message), "error")
            else:
                flash(_("Statut de la pièce enregistré : %(statut)s.",
                        statut=codes.STATUT_PIECE.label(form.statut.data)), "success")
                return redirect(url_for(".details_view", id=candidature.id) + "#pieces")
        candidature = self.get_one(candidature_id)  # as committed (a refusal rolled back)
        return self._details(candidature, piece_form=(piece_id, form))

    @expose("/<int:candidature_id>/bloc-notes", methods=("POST",))
    @form_view
    def bloc_notes_view(self, candidature_id):
        candidature = self.get_one(candidature_id)
        if candidature is None:
            abort(404)
        form = BlocNotesForm()
        if form.validate():
            try:
                commission.changer_bloc_notes(self._actor(), candidature, form.bloc_notes.data)
            except workflow.WorkflowError as error:
                flash(str(error.message), "error")
            else:
                flash(_("Bloc-notes enregistré."), "success")
                return redirect(url_for(".details_view", id=candidature.id) + "#bloc-notes")
        candidature = self.get_one(candidature_id)
        return self._details(candidature, bloc_form=form)

    @expose("/<int:candidature_id>/pieces/<int:piece_id>/fichier")
    def fichier_view(self, candidature_id, piece_id):
        """A piece's file, opened from "Ouvrir": scope checked again, 404 otherwise."""
        candidature = self.get_one(candidature_id)
        if candidature is None:
            abort(404)
        for piece, row in workflow.piece_rows(candidature):
            if piece.id == piece_id and row is not None and row.fichier:
                return send_private_file(row.fichier, row.nom_original, row.type_mime)
        abort(404)

    @expose("/<int:candidature_id>/lettre.pdf")
    def lettre_view(self, candidature_id):
        """The candidature's admission or refusal letter, as the candidate gets it:
        scope checked again (ecandidat.permissions), 404 outside it or without a letter."""
        from ecandidat import letters
        candidature = self.get_one(candidature_id)
        if candidature is None:
            abort(404)
        try:
            name, data = letters.letter_download(candidature)
        except letters.NoLetter:
            abort(404)
        return send_private_bytes(data, name, "application/pdf")


def _avis_history(candidature):
    """Every avis of the candidature, newest first, with who entered and validated it."""
    saisi_par, valide_par = User.alias(), User.alias()
    return list(Avis.select(Avis, MotivationAvis, saisi_par, valide_par)
                .join_from(Avis, MotivationAvis, JOIN.LEFT_OUTER)
                .join_from(Avis, saisi_par, JOIN.LEFT_OUTER,
                           on=(Avis.created_by == saisi_par.id), attr="created_by")
                .join_from(Avis, valide_par, JOIN.LEFT_OUTER,
                           on=(Avis.valide_par == valide_par.id), attr="valide_par")
                .where(Avis.candidature == candidature.id)
                .order_by(Avis.id.desc()))


def _timeline(candidature, context):
    """The audit rows of the candidature, of the piece rows it shows (its own and the
    candidate's shared ones), of its answers and of its avis, oldest first."""
    piece_ids = [row.id for _piece, row in context["pieces"] if row is not None]
    answer_ids = [row.id for _question, row in context["questions"] if row is not None]
    avis_ids = Avis.select(Avis.id).where(Avis.candidature == candidature.id)
    where = ((AuditLog.table == Candidature._meta.table_name)
             & (AuditLog.record_id == candidature.id)) | (
        (AuditLog.table == Avis._meta.table_name) & AuditLog.record_id.in_(avis_ids))
    if piece_ids:
        where |= (AuditLog.table == PieceCandidat._meta.table_name) & (
            AuditLog.record_id.in_(piece_ids))
    if answer_ids:
        where |= (AuditLog.table == ReponseQuestion._meta.table_name) & (
            AuditLog.record_id.in_(answer_ids))
    return list(AuditLog.select().where(where).order_by(AuditLog.id))

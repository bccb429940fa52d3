"""Labels and messages of the Streamlit app (``registry/ui``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "ui_title": {
        "es": "Registro de iniciativas de articulación productiva",
        "en": "Registry of productive-articulation initiatives",
    },
    "ui_page_map": {"es": "Mapa", "en": "Map"},
    "ui_page_stats": {"es": "Estadísticas", "en": "Statistics"},
    "ui_page_entry": {"es": "Entrada", "en": "Entry"},
    "ui_page_history": {"es": "Historial", "en": "History"},
    "ui_page_review": {"es": "Revisión", "en": "Review"},
    "ui_page_users": {"es": "Usuarios", "en": "Users"},
    "ui_page_login": {"es": "Ingresar", "en": "Log in"},
    "ui_page_account": {"es": "Mi cuenta", "en": "My account"},
    "ui_language": {"es": "Idioma", "en": "Language"},
    "ui_logged_as": {"es": "Sesión: {user} ({role})", "en": "Logged in: {user} ({role})"},
    "ui_visitor": {
        "es": "Visitante: solo entradas publicadas",
        "en": "Visitor: published entries only",
    },
    "ui_filters": {"es": "Filtros", "en": "Filters"},
    "ui_f_country": {"es": "País", "en": "Country"},
    "ui_f_region": {"es": "Región", "en": "Region"},
    "ui_f_comuna": {"es": "Comuna", "en": "Comuna"},
    "ui_f_kind": {"es": "Clase", "en": "Kind"},
    "ui_f_initiative_type": {"es": "Tipo de iniciativa", "en": "Initiative type"},
    "ui_f_sector": {"es": "Sector", "en": "Sector"},
    "ui_f_focus": {"es": "Foco estratégico", "en": "Strategic focus"},
    "ui_f_funding": {"es": "Fuente de financiamiento", "en": "Funding source"},
    "ui_f_program": {"es": "Programa", "en": "Programme"},
    "ui_f_stage": {"es": "Etapa", "en": "Stage"},
    "ui_f_status": {"es": "Estado", "en": "Status"},
    "ui_f_q": {"es": "Buscar texto", "en": "Search text"},
    "ui_f_from": {"es": "Inicio desde", "en": "Started from"},
    "ui_f_to": {"es": "Inicio hasta", "en": "Started until"},
    "ui_choose": {"es": "Elija…", "en": "Choose…"},
    "ui_clear_filters": {"es": "Quitar filtros", "en": "Clear filters"},
    "ui_count_entries": {"es": "Entradas", "en": "Entries"},
    "ui_count_iap": {"es": "Iniciativas", "en": "Initiatives"},
    "ui_count_barrios": {"es": "Barrios comerciales", "en": "Barrios comerciales"},
    "ui_count_businesses": {"es": "Locales en barrios", "en": "Businesses in barrios"},
    "ui_count_firms": {"es": "Empresas informadas", "en": "Firms reported"},
    "ui_color_by": {"es": "Colorear por", "en": "Colour by"},
    "ui_productivity": {
        "es": "Capa de productividad regional",
        "en": "Regional productivity layer",
    },
    "ui_prod_none": {"es": "Ninguna", "en": "None"},
    "ui_prod_level": {"es": "Nivel", "en": "Level"},
    "ui_prod_change": {"es": "Variación", "en": "Change"},
    "ui_indicator": {"es": "Indicador", "en": "Indicator"},
    "ui_year": {"es": "Año", "en": "Year"},
    "ui_year_from": {"es": "Desde", "en": "From"},
    "ui_year_to": {"es": "Hasta", "en": "To"},
    "ui_base_outlines": {
        "es": "Contornos de regiones y comunas (sin conexión)",
        "en": "Region and comuna outlines (offline)",
    },
    "ui_base_tiles": {"es": "Teselas del servidor configurado", "en": "Configured tile server"},
    "ui_place_search": {"es": "Buscar un lugar", "en": "Find a place"},
    "ui_place_search_hint": {
        "es": "Comuna, ciudad o pueblo (p. ej. Valdivia)",
        "en": "Comuna, city or town (e.g. Valdivia)",
    },
    "ui_place_pick": {"es": "Lugares encontrados", "en": "Places found"},
    "ui_place_none": {"es": "Ningún lugar se parece a «{q}».", "en": "No place looks like “{q}”."},
    "ui_place_source_natural_earth": {
        "es": "Fuente: Natural Earth, ciudades y pueblos (dominio público)",
        "en": "Source: Natural Earth populated places (public domain)",
    },
    "ui_place_source_dpa_2023": {
        "es": "Fuente: DPA 2023, comunas de Chile (IDE Chile)",
        "en": "Source: DPA 2023, Chile's comunas (IDE Chile)",
    },
    "ui_page_mine": {"es": "Mis iniciativas", "en": "My initiatives"},
    "ui_mine_new": {
        "es": "Registrar otra iniciativa o barrio",
        "en": "Register another initiative or barrio",
    },
    "ui_mine_none": {
        "es": "Aún no tiene entradas. Registre la primera con el formulario de entrada.",
        "en": "You have no entries yet. Register the first with the entry form.",
    },
    "ui_mine_name": {"es": "Nombre", "en": "Name"},
    "ui_mine_status": {"es": "Estado", "en": "Status"},
    "ui_mine_changed": {"es": "Último cambio", "en": "Last change"},
    "ui_mine_note": {"es": "Nota de revisión", "en": "Review note"},
    "ui_mine_freshness": {"es": "Vigencia", "en": "Freshness"},
    "ui_mine_activity": {"es": "Última actividad", "en": "Last activity"},
    "ui_mine_complete": {"es": "Completitud", "en": "Completeness"},
    "ui_mine_missing": {"es": "Falta", "en": "Missing"},
    "ui_mine_location": {"es": "ubicación más precisa", "en": "a finer location"},
    "ui_mine_next": {"es": "Qué sigue", "en": "Next step"},
    "ui_mine_next_draft": {
        "es": "Complete y envíe a revisión",
        "en": "Complete it and submit for review",
    },
    "ui_mine_next_submitted": {
        "es": "En revisión: un/a gestor/a la publicará o la devolverá",
        "en": "In review: a manager will publish it or send it back",
    },
    "ui_mine_next_rejected": {
        "es": "Corrija según la nota y envíe de nuevo",
        "en": "Mend it as the note says and submit again",
    },
    "ui_mine_next_published": {
        "es": "Publicada: manténgala al día",
        "en": "Published: keep it current",
    },
    "ui_mine_next_archived": {"es": "Archivada", "en": "Archived"},
    "ui_mine_open": {"es": "Abrir", "en": "Open"},
    "ui_mine_on_map": {"es": "Ver ubicación", "en": "Show location"},
    "ui_mine_follow": {"es": "Metas e indicadores", "en": "Goals and indicators"},
    "ui_saved_draft": {
        "es": "Borrador guardado (versión {version}). Aún no está en revisión.",
        "en": "Draft saved (version {version}). It is not in review yet.",
    },
    "ui_saved_submitted": {
        "es": "Enviada a revisión (versión {version}). Un/a gestor/a la revisará.",
        "en": "Sent for review (version {version}). A manager will review it.",
    },
    "ui_saved_in_review": {
        "es": "Cambios guardados (versión {version}); sigue en revisión.",
        "en": "Changes saved (version {version}); it stays in review.",
    },
    "ui_saved_published": {
        "es": "Publicada (versión {version}).",
        "en": "Published (version {version}).",
    },
    "ui_saved_nothing": {
        "es": "No había cambios: no se escribió una nueva versión.",
        "en": "Nothing had changed: no new version was written.",
    },
    "ui_keep_in_review": {
        "es": "Guardar cambios (sigue en revisión)",
        "en": "Save changes (stays in review)",
    },
    "ui_withdraw": {
        "es": "Retirar de revisión y guardar como borrador",
        "en": "Withdraw from review, save as draft",
    },
    "ui_published_entry": {"es": "Publicada: {name}", "en": "Published: {name}"},
    "ui_rejected_entry": {
        "es": "Devuelta con observaciones: {name}",
        "en": "Sent back with a note: {name}",
    },
    "ui_import_title": {
        "es": "Importar entradas desde un archivo",
        "en": "Import entries from a file",
    },
    "ui_import_help": {
        "es": "CSV, Excel (.xlsx), GeoJSON o GeoPackage, con las columnas del diccionario de "
        "datos (una exportación sirve de plantilla). Primero se revisa el archivo sin escribir "
        "nada; luego se importa entero o nada.",
        "en": "CSV, Excel (.xlsx), GeoJSON or GeoPackage, with the data dictionary's columns "
        "(an export serves as a template). The file is checked first, writing nothing; then "
        "it is imported whole or not at all.",
    },
    "ui_import_file": {"es": "Archivo", "en": "File"},
    "ui_import_check": {"es": "Revisar el archivo", "en": "Check the file"},
    "ui_import_checking": {"es": "Revisando…", "en": "Checking…"},
    "ui_import_checked_ok": {
        "es": "Archivo correcto: se crearían {created} entrada(s), se actualizarían {updated} "
        "y {unchanged} quedarían sin cambios. Aún no se escribió nada.",
        "en": "The file is sound: {created} entry(ies) would be created, {updated} updated "
        "and {unchanged} left unchanged. Nothing is written yet.",
    },
    "ui_import_run": {"es": "Importar ahora", "en": "Import now"},
    "ui_import_running": {"es": "Importando…", "en": "Importing…"},
    "ui_import_row": {"es": "Fila {row}", "en": "Row {row}"},
    "ui_layer_placed": {"es": "Ubicación marcada", "en": "Location marked"},
    "ui_layer_view": {"es": "Vista", "en": "View"},
    "ui_unmapped": {
        "es": "{n} entradas sin ubicación en el mapa",
        "en": "{n} entries with no location on the map",
    },
    "ui_show_details": {"es": "Ver ficha", "en": "Details"},
    "ui_permalink": {"es": "Enlace a esta entrada", "en": "Link to this entry"},
    "ui_layer_selection": {"es": "Selección", "en": "Selection"},
    "ui_layer_place_names": {"es": "Nombres de lugares", "en": "Place names"},
    "ui_layer_region_borders": {"es": "Límites regionales", "en": "Region borders"},
    "ui_layer_entries": {"es": "Iniciativas y barrios", "en": "Initiatives and barrios"},
    "ui_layer_productivity": {"es": "Productividad regional", "en": "Regional productivity"},
    "ui_offline_note": {
        "es": "Mapa base sin conexión: contornos oficiales de regiones y comunas (DPA 2023) y "
        "nombres de lugares de Natural Earth (dominio público).",
        "en": "Offline base map: official region and comuna outlines (DPA 2023) and place "
        "names from Natural Earth (public domain).",
    },
    "ui_approximate": {"es": "ubicación aproximada", "en": "approximate location"},
    "ui_approximate_note": {
        "es": "Ubicación aproximada: solo se conoce la comuna o la región; el punto marca su "
        "centro, no una dirección.",
        "en": "Approximate location: only the comuna or region is known; the point marks its "
        "centre, not an address.",
    },
    "ui_legend_approx": {
        "es": "Borde punteado y relleno tenue: ubicación aproximada (comuna o región).",
        "en": "Dashed outline, faint fill: approximate location (comuna or region).",
    },
    "ui_click_hint": {
        "es": "Haga clic en una entrada del mapa para ver su ficha.",
        "en": "Click an entry on the map to see its details.",
    },
    "ui_grouped_note": {
        "es": "Vista agrupada: {n} entradas en {groups} comunas, regiones o países (más de "
        "{limit} en la vista). Haga clic en un círculo para ver sus entradas, o filtre.",
        "en": "Grouped view: {n} entries in {groups} comunas, regions or countries (more than "
        "{limit} in view). Click a circle to see its entries, or filter.",
    },
    "ui_group_summary": {"es": "{n} entradas", "en": "{n} entries"},
    "ui_group_one": {"es": "1 entrada", "en": "1 entry"},
    "ui_legend_grouped": {
        "es": "Color: el valor más frecuente en cada grupo; tamaño: número de entradas.",
        "en": "Colour: the most frequent value in each group; size: number of entries.",
    },
    "ui_several_here": {
        "es": "{n} entradas en este lugar; elija una:",
        "en": "{n} entries at this place; choose one:",
    },
    "ui_precision": {"es": "precisión", "en": "precision"},
    "ui_field": {"es": "Campo", "en": "Field"},
    "ui_value": {"es": "Valor", "en": "Value"},
    "ui_unit": {"es": "Unidad", "en": "Unit"},
    "ui_change_pct": {"es": "Variación %", "en": "Change %"},
    "ui_source": {"es": "Fuente", "en": "Source"},
    "ui_yes": {"es": "sí", "en": "yes"},
    "ui_no": {"es": "no", "en": "no"},
    "ui_export": {"es": "Descargar lo que se ve", "en": "Download this view"},
    "ui_export_format": {"es": "Formato", "en": "Format"},
    "ui_export_prepare": {"es": "Preparar archivo", "en": "Prepare file"},
    "ui_export_download": {"es": "Descargar {name}", "en": "Download {name}"},
    "ui_export_note": {
        "es": "Los mismos archivos que escribe `iap-registry export`, con el diccionario de datos.",
        "en": "The same files `iap-registry export` writes, with the data dictionary.",
    },
    "ui_stats_by": {"es": "Por {field}", "en": "By {field}"},
    "ui_stats_download": {"es": "Datos (CSV)", "en": "Data (CSV)"},
    "ui_stats_table": {"es": "Entradas del filtro", "en": "Entries in the filter"},
    "ui_convergence": {
        "es": "Convergencia de la productividad regional",
        "en": "Convergence of regional productivity",
    },
    "ui_convergence_caption": {
        "es": "Nivel inicial frente a variación; la línea vertical es el valor nacional del "
        "año inicial.",
        "en": "Initial level against change; the vertical line is the national value of the "
        "initial year.",
    },
    "ui_per_region": {
        "es": "Entradas por región y por 100.000 ocupados",
        "en": "Entries per region and per 100,000 employed",
    },
    "ui_username": {"es": "Usuario", "en": "Username"},
    "ui_password": {"es": "Contraseña", "en": "Password"},
    "ui_login": {"es": "Ingresar", "en": "Log in"},
    "ui_logout": {"es": "Salir", "en": "Log out"},
    "ui_new_password": {"es": "Nueva contraseña", "en": "New password"},
    "ui_change_password": {"es": "Cambiar contraseña", "en": "Change password"},
    "ui_password_changed": {"es": "Contraseña cambiada.", "en": "Password changed."},
    "ui_place_hint": {
        "es": "Haga clic en el mapa para ubicar la entrada. Para un barrio puede marcar "
        "varios puntos y formar una línea (calle) o un polígono.",
        "en": "Click the map to place the entry. For a barrio you may click several points "
        "to form a line (street) or a polygon.",
    },
    "ui_geom_mode": {"es": "Geometría", "en": "Geometry"},
    "ui_geom_point": {"es": "Punto", "en": "Point"},
    "ui_geom_line": {"es": "Línea (calle)", "en": "Line (street)"},
    "ui_geom_polygon": {"es": "Polígono", "en": "Polygon"},
    "ui_undo_point": {"es": "Quitar último punto", "en": "Remove last point"},
    "ui_clear_points": {"es": "Borrar ubicación", "en": "Clear location"},
    "ui_location_found": {
        "es": "Ubicación: {comuna}, región {region}",
        "en": "Location: {comuna}, {region} region",
    },
    "ui_location_outside": {
        "es": "La ubicación no cae en una comuna de Chile.",
        "en": "The location is not in a Chilean comuna.",
    },
    "ui_save_draft": {"es": "Guardar borrador", "en": "Save draft"},
    "ui_submit": {"es": "Enviar a revisión", "en": "Submit for review"},
    "ui_save": {"es": "Guardar", "en": "Save"},
    "ui_saved": {"es": "Guardado (versión {version}).", "en": "Saved (version {version})."},
    "ui_fix_errors": {
        "es": "Revise los campos marcados; no se guardó nada.",
        "en": "Check the marked fields; nothing was saved.",
    },
    "ui_conflict": {
        "es": "{who} guardó esta entrada el {when} mientras usted la editaba (versión {version}). "
        "Nada se sobrescribió. Diferencias:",
        "en": "{who} saved this entry at {when} while you were editing it (version {version}). "
        "Nothing was overwritten. Differences:",
    },
    "ui_conflict_keep_mine": {
        "es": "Guardar mis cambios sobre la versión nueva",
        "en": "Save my changes over the new version",
    },
    "ui_conflict_reload": {
        "es": "Descartar mis cambios y recargar",
        "en": "Discard my changes and reload",
    },
    "ui_theirs": {"es": "Guardado por otra persona", "en": "Saved by someone else"},
    "ui_mine": {"es": "Mi versión", "en": "My version"},
    "ui_locked": {"es": "Bloqueada", "en": "Locked"},
    "ui_created": {"es": "Creada", "en": "Created"},
    "ui_current_password": {"es": "Contraseña actual", "en": "Current password"},
    "ui_session_ended": {
        "es": "Su sesión terminó porque su cuenta cambió (contraseña nueva o cuenta "
        "desactivada). Ingrese de nuevo si corresponde.",
        "en": "Your session has ended because your account changed (a new password, or the "
        "account was disabled). Log in again if you may.",
    },
    "ui_unavailable": {
        "es": "El registro no está disponible en este momento. Intente de nuevo en unos "
        "minutos; si sigue así, avise a quien administra el sistema.",
        "en": "The registry is not available right now. Try again in a few minutes; if it "
        "stays so, tell whoever runs the system.",
    },
    "ui_cannot_edit": {
        "es": "Usted no puede editar esta entrada: la editan su responsable, las personas "
        "que nombró como editoras, y los encargados de programa.",
        "en": "You cannot edit this entry: its owner, the editors they named and programme "
        "managers edit it.",
    },
    "ui_problems_more": {
        "es": "… y {n} problema(s) más (se muestran los primeros {shown}).",
        "en": "… and {n} more problem(s) (the first {shown} are shown).",
    },
    "ui_login_needed": {
        "es": "Ingrese con su cuenta para crear o editar entradas.",
        "en": "Log in to create or edit entries.",
    },
    "ui_pick_entry": {"es": "Entrada", "en": "Entry"},
    "ui_no_entries": {"es": "No hay entradas.", "en": "No entries."},
    "ui_employed_thousands": {"es": "Ocupados (miles)", "en": "Employed (thousands)"},
    "ui_per_100k": {"es": "Entradas por 100.000 ocupados", "en": "Entries per 100,000 employed"},
    "ui_quadrant": {"es": "Cuadrante", "en": "Quadrant"},
    "ui_quadrant_high_growing": {"es": "Alta y creciente", "en": "High, growing"},
    "ui_quadrant_high_declining": {"es": "Alta y decreciente", "en": "High, declining"},
    "ui_quadrant_low_declining": {"es": "Baja y decreciente", "en": "Low, declining"},
    "ui_quadrant_low_growing": {"es": "Baja y creciente", "en": "Low, growing"},
    "ui_op_create": {"es": "creación", "en": "created"},
    "ui_op_update": {"es": "modificación", "en": "updated"},
    "ui_op_delete": {"es": "archivada", "en": "archived"},
    "ui_op_revert": {"es": "restauración", "en": "restored"},
    "ui_before": {"es": "Antes", "en": "Before"},
    "ui_after": {"es": "Después", "en": "After"},
    "ui_history_version": {
        "es": "Versión {version} · {op} · {actor} · {at}",
        "en": "Version {version} · {op} · {actor} · {at}",
    },
    "ui_history_version_public": {
        "es": "Versión {version} · {op} · {at}",
        "en": "Version {version} · {op} · {at}",
    },
    "ui_history_public": {
        "es": "Se muestran las versiones publicadas, sin los datos de contacto ni los "
        "nombres de quienes la editaron.",
        "en": "The published versions are shown, without contact details or the names of "
        "who edited it.",
    },
    "ui_restore": {"es": "Restaurar esta versión", "en": "Restore this version"},
    "ui_restored": {
        "es": "Restaurada como versión {version}.",
        "en": "Restored as version {version}.",
    },
    "ui_review_queue": {"es": "Enviadas a revisión", "en": "Submitted for review"},
    "ui_publish": {"es": "Publicar", "en": "Publish"},
    "ui_reject": {"es": "Rechazar", "en": "Reject"},
    "ui_reject_reason": {"es": "Motivo del rechazo", "en": "Reason for rejection"},
    "ui_review_note": {"es": "Observación de revisión: {note}", "en": "Review note: {note}"},
    "ui_add_user": {"es": "Agregar usuario", "en": "Add user"},
    "ui_role": {"es": "Rol", "en": "Role"},
    "ui_disabled": {"es": "Deshabilitado", "en": "Disabled"},
    "ui_apply": {"es": "Aplicar", "en": "Apply"},
    "ui_unlock": {"es": "Desbloquear", "en": "Unlock"},
    "ui_user_added": {"es": "Usuario {user} creado.", "en": "User {user} created."},
    "ui_done": {"es": "Hecho.", "en": "Done."},
    "ui_edit": {"es": "Editar", "en": "Edit"},
    "ui_open_history": {"es": "Ver historial", "en": "See history"},
    # names of the bundled regional series (the code is shown where a series has no name)
    "indicator_va_per_employed_real": {
        "es": "Productividad: valor agregado real por ocupado",
        "en": "Productivity: real value added per employed person",
    },
    "indicator_va_per_employed_nominal": {
        "es": "Valor agregado nominal por ocupado",
        "en": "Nominal value added per employed person",
    },
    "indicator_gdp_real_ref2018_per_employed": {
        "es": "PIB real (ref. 2018) por ocupado",
        "en": "Real GDP (ref. 2018) per employed person",
    },
    "indicator_labour_productivity_ratio_to_national_avg": {
        "es": "Productividad relativa al promedio nacional",
        "en": "Productivity relative to the national average",
    },
    "indicator_gdp_nominal_ref2018": {
        "es": "PIB regional nominal (ref. 2018)",
        "en": "Regional GDP, nominal (ref. 2018)",
    },
    "indicator_gdp_real_chained_ref2018": {
        "es": "PIB regional real encadenado (ref. 2018)",
        "en": "Regional GDP, real chained (ref. 2018)",
    },
    "indicator_gdp_real_chained_ref2013": {
        "es": "PIB regional real encadenado (ref. 2013)",
        "en": "Regional GDP, real chained (ref. 2013)",
    },
    "indicator_gdp_real_growth_pct": {
        "es": "Crecimiento real del PIB regional",
        "en": "Real regional GDP growth",
    },
    "indicator_employed_thousands": {"es": "Ocupados (miles)", "en": "Employed (thousands)"},
    "indicator_employed_thousands_annual_avg": {
        "es": "Ocupados, promedio anual (miles)",
        "en": "Employed, annual average (thousands)",
    },
    "indicator_employment_rate_15_64_pct": {
        "es": "Tasa de ocupación 15-64 años",
        "en": "Employment rate, ages 15-64",
    },
    "indicator_exchange_rate_clp_per_usd": {
        "es": "Tipo de cambio (CLP por USD)",
        "en": "Exchange rate (CLP per USD)",
    },
    # monitoring (issue 8)
    "ui_page_monitoring": {"es": "Seguimiento", "en": "Monitoring"},
    "ui_page_programme": {"es": "Programas", "en": "Programmes"},
    "ui_open_monitoring": {"es": "Ver seguimiento", "en": "Open monitoring"},
    "ui_mon_tab_indicators": {"es": "Indicadores", "en": "Indicators"},
    "ui_mon_tab_goals": {"es": "Metas", "en": "Goals"},
    "ui_mon_tab_reviews": {"es": "Bitácora de revisiones", "en": "Review log"},
    "ui_mon_tab_files": {"es": "Importar / exportar", "en": "Import / export"},
    "ui_mon_read_only": {
        "es": "Solo lectura: el seguimiento lo registran quienes editan esta entrada.",
        "en": "Read only: the monitoring is recorded by those who edit this entry.",
    },
    "ui_mon_no_indicators": {
        "es": "Esta iniciativa aún no tiene indicadores.",
        "en": "This initiative has no indicators yet.",
    },
    "ui_mon_no_values": {"es": "Sin valores registrados", "en": "No values recorded"},
    "ui_mon_baseline": {"es": "Línea base", "en": "Baseline"},
    "ui_mon_target": {"es": "Meta", "en": "Target"},
    "ui_mon_progress": {
        "es": "Avance hacia la meta: {pct}",
        "en": "Progress towards the target: {pct}",
    },
    "ui_mon_add_indicator": {"es": "Agregar un indicador", "en": "Add an indicator"},
    "ui_mon_add_value": {"es": "Registrar un valor", "en": "Record a value"},
    "ui_mon_add_goal": {"es": "Agregar una meta", "en": "Add a goal"},
    "ui_mon_add_review": {"es": "Agregar una revisión", "en": "Add a review"},
    "ui_mon_save": {"es": "Guardar", "en": "Save"},
    "ui_mon_saved": {"es": "Guardado (versión {version}).", "en": "Saved (version {version})."},
    "ui_mon_period_help": {
        "es": "AAAA-T1 … AAAA-T4 (trimestral) o AAAA (anual)",
        "en": "YYYY-Q1 … YYYY-Q4 (quarterly) or YYYY (annual)",
    },
    "ui_mon_value_help": {
        "es": "Punto o coma decimal; sin separador de miles",
        "en": "Decimal point or comma; no thousands separator",
    },
    "ui_mon_values_table": {"es": "Valores registrados", "en": "Values recorded"},
    "ui_mon_edit_indicator": {
        "es": "Corregir nombre, unidad, línea base o meta",
        "en": "Correct the name, unit, baseline or target",
    },
    "ui_mon_delete_indicator": {
        "es": "Eliminar este indicador y sus valores",
        "en": "Delete this indicator and its values",
    },
    "ui_mon_deleted": {"es": "Eliminado.", "en": "Deleted."},
    "ui_mon_goal_status_set": {"es": "Cambiar estado", "en": "Change status"},
    "ui_mon_no_goals": {"es": "Sin metas registradas.", "en": "No goals recorded."},
    "ui_mon_no_reviews": {
        "es": "Sin revisiones registradas.",
        "en": "No reviews recorded.",
    },
    "ui_mon_reviews_private": {
        "es": "La bitácora de revisiones la leen solo quienes editan la entrada y los "
        "encargados de programa.",
        "en": "The review log is read only by those who edit the entry and by programme managers.",
    },
    "ui_mon_export": {
        "es": "Descargar los valores (CSV)",
        "en": "Download the values (CSV)",
    },
    "ui_mon_import": {
        "es": "Importar valores desde un CSV (todo o nada)",
        "en": "Import values from a CSV (all or nothing)",
    },
    "ui_mon_import_help": {
        "es": "Columnas: indicator_id, period, value, source_note (y, para corregir, id y "
        "version, como en la descarga).",
        "en": "Columns: indicator_id, period, value, source_note (and, to correct, id and "
        "version, as in the download).",
    },
    "ui_mon_import_run": {"es": "Importar", "en": "Import"},
    "ui_mon_last_verified": {"es": "Última verificación", "en": "Last verified"},
    "ui_mon_last_activity": {"es": "Última actualización", "en": "Last updated"},
    "ui_mon_completeness": {"es": "Completitud de la ficha", "en": "Completeness"},
    "ui_mon_freshness": {"es": "Vigencia", "en": "Freshness"},
    "ui_mon_freshness_note": {
        "es": "Desactualizada: sin verificación, cambio ni reporte en {months} meses. Nunca "
        "verificada: sin fecha de verificación ni seguimiento registrado.",
        "en": "Out of date: no verification, change or report in {months} months. Never "
        "verified: no verification date and no monitoring recorded.",
    },
    "ui_mon_never": {"es": "nunca", "en": "never"},
    "ui_mon_col_name": {"es": "Entrada", "en": "Entry"},
    "ui_mon_col_indicators": {"es": "Indicadores", "en": "Indicators"},
    "ui_mon_col_progress": {"es": "Avance medio", "en": "Mean progress"},
    "ui_mon_col_latest": {"es": "Último periodo", "en": "Latest period"},
    "ui_mon_col_verified": {"es": "Verificada", "en": "Verified"},
    "ui_mon_col_activity": {"es": "Última actualización", "en": "Last updated"},
    "ui_mon_col_freshness": {"es": "Vigencia", "en": "Freshness"},
    "ui_mon_col_completeness": {"es": "Completitud", "en": "Completeness"},
    "ui_mon_reached": {"es": "{n} de {of} metas alcanzadas", "en": "{n} of {of} targets reached"},
    "ui_prog_pick": {"es": "Programa", "en": "Programme"},
    "ui_prog_all": {"es": "Todos los programas", "en": "All programmes"},
    "ui_prog_months": {
        "es": "Desactualizada tras (meses sin actividad)",
        "en": "Out of date after (months without activity)",
    },
    "ui_prog_count": {"es": "Entradas", "en": "Entries"},
    "ui_prog_stale": {"es": "Desactualizadas", "en": "Out of date"},
    "ui_prog_unverified": {"es": "Nunca verificadas", "en": "Never verified"},
    "ui_prog_reporting": {"es": "Con indicadores", "en": "With indicators"},
    "ui_prog_stale_list": {
        "es": "Entradas desactualizadas (todos los programas)",
        "en": "Out-of-date entries (every programme)",
    },
    "ui_prog_none_stale": {
        "es": "Ninguna entrada está desactualizada.",
        "en": "No entry is out of date.",
    },
    "ui_prog_open": {"es": "Abrir el seguimiento de", "en": "Open the monitoring of"},
    "ui_prog_download": {"es": "Descargar esta vista (CSV)", "en": "Download this view (CSV)"},
    "ui_managers_only": {
        "es": "Esta vista es para encargados de programa y administradores.",
        "en": "This view is for programme managers and administrators.",
    },
}

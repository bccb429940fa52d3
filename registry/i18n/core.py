"""Messages of the library and the command line (validation, storage, imports, CLI)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # validation
    "required": {"es": "es obligatorio", "en": "is required"},
    "bad_type": {"es": "valor no válido: {detail}", "en": "invalid value: {detail}"},
    "unknown_code": {
        "es": "código desconocido «{value}»; valores válidos: {allowed}",
        "en": "unknown code '{value}'; valid values: {allowed}",
    },
    "bad_number": {
        "es": "«{value}» no es un número (use punto o coma decimal, sin separador de miles)",
        "en": "'{value}' is not a number (decimal point or comma, no thousands separator)",
    },
    "bad_period": {
        "es": "periodo «{value}» no válido: use AAAA (año) o AAAA-T1 … AAAA-T4 (trimestre)",
        "en": "invalid period '{value}': use YYYY (year) or YYYY-Q1 … YYYY-Q4 (quarter)",
    },
    "period_frequency": {
        "es": "el periodo {period} no corresponde a la frecuencia del indicador",
        "en": "period {period} does not match the indicator's frequency",
    },
    "target_equals_baseline": {
        "es": "la meta es igual a la línea base: no hay avance que medir",
        "en": "the target equals the baseline: there is no progress to measure",
    },
    "target_direction": {
        "es": "la meta no va en el sentido deseado desde la línea base (aumentar o disminuir)",
        "en": "the target is not in the desired direction from the baseline (increase or decrease)",
    },
    "monitoring_unknown_kind": {
        "es": "tipo de registro de seguimiento desconocido «{kind}»; válidos: {allowed}",
        "en": "unknown kind of monitoring record '{kind}'; valid: {allowed}",
    },
    "monitoring_no_indicator": {
        "es": "no hay un indicador {id} en esta iniciativa",
        "en": "there is no indicator {id} in this initiative",
    },
    "monitoring_no_goal": {
        "es": "no hay una meta {id} en esta iniciativa",
        "en": "there is no goal {id} in this initiative",
    },
    "monitoring_other_initiative": {
        "es": "el indicador no pertenece a la iniciativa {id}",
        "en": "the indicator does not belong to initiative {id}",
    },
    "monitoring_period_taken": {
        "es": "el indicador ya tiene un valor para {period}; corrija ese valor",
        "en": "the indicator already has a value for {period}; correct that value",
    },
    "monitoring_row_repeats": {
        "es": "el periodo {period} de este indicador ya está en la fila {first}",
        "en": "period {period} of this indicator is already in row {first}",
    },
    "monitoring_period_race": {
        "es": "otra persona acaba de registrar un valor para ese periodo; vuelva a cargar",
        "en": "someone else has just recorded a value for that period; reload",
    },
    "ind_target": {"es": "meta", "en": "target"},
    "mon_reviews": {"es": "revisiones en la bitácora", "en": "reviews in the log"},
    "unknown_field": {"es": "campo desconocido «{field}»", "en": "unknown field '{field}'"},
    "too_long": {
        "es": "texto demasiado largo ({n} caracteres; máximo {max})",
        "en": "text too long ({n} characters; maximum {max})",
    },
    "control_chars": {
        "es": "contiene caracteres de control no permitidos",
        "en": "contains control characters that are not allowed",
    },
    "out_of_range": {
        "es": "fuera de rango: {value} (permitido {lo}–{hi})",
        "en": "out of range: {value} (allowed {lo}–{hi})",
    },
    "end_before_start": {
        "es": "el año de término ({end}) es anterior al de inicio ({start})",
        "en": "end year ({end}) is before start year ({start})",
    },
    "bad_url": {
        "es": "no es una dirección web válida (debe empezar por http:// o https://)",
        "en": "not a valid web address (must start with http:// or https://)",
    },
    "bad_email": {"es": "no es un correo electrónico válido", "en": "not a valid e-mail address"},
    "bad_date": {
        "es": "no es una fecha válida (use AAAA-MM-DD)",
        "en": "not a valid date (use YYYY-MM-DD)",
    },
    "bad_username": {
        "es": "«{value}» no es un nombre de usuario válido: letras sin tilde (a-z, A-Z), "
        "dígitos y . _ @ -, empezando por una letra o un dígito, hasta 64 caracteres",
        "en": "'{value}' is not a valid username: letters without accents (a-z, A-Z), "
        "digits and . _ @ -, starting with a letter or a digit, at most 64 characters",
    },
    "reason_required": {
        "es": "indique el motivo del rechazo",
        "en": "give the reason for the rejection",
    },
    "login_failed": {
        "es": "usuario o contraseña incorrectos",
        "en": "wrong username or password",
    },
    "login_locked": {
        "es": "cuenta bloqueada por intentos fallidos; intente de nuevo en {minutes} min "
        "o pida a un administrador que la desbloquee",
        "en": "account locked after failed attempts; try again in {minutes} min "
        "or ask an administrator to unlock it",
    },
    "bad_uuid": {"es": "no es un identificador UUID válido", "en": "not a valid UUID"},
    "bad_bool": {"es": "use sí/no (true/false)", "en": "use yes/no (true/false)"},
    "stage_kind": {
        "es": "la etapa «{stage}» no corresponde a una entrada de tipo «{kind}»",
        "en": "stage '{stage}' does not apply to an entry of kind '{kind}'",
    },
    "barrio_field_on_iap": {
        "es": "solo los barrios comerciales tienen este campo",
        "en": "only barrios comerciales have this field",
    },
    "geom_type_kind": {
        "es": "una iniciativa (IAP) se ubica con un punto, no con {gtype}",
        "en": "an initiative (IAP) is located by a point, not by a {gtype}",
    },
    "geom_type": {
        "es": "tipo de geometría no admitido: {gtype}",
        "en": "unsupported geometry type: {gtype}",
    },
    "geom_empty": {"es": "la geometría está vacía", "en": "the geometry is empty"},
    "geom_invalid": {
        "es": "geometría no válida: {reason}",
        "en": "invalid geometry: {reason}",
    },
    "geom_required": {
        "es": "falta la ubicación: con precisión «{precision}» se necesitan coordenadas o geometría",
        "en": "location missing: precision '{precision}' needs coordinates or a geometry",
    },
    "coord_not_finite": {
        "es": "coordenadas no numéricas o infinitas",
        "en": "coordinates are not finite numbers",
    },
    "coord_range": {
        "es": "coordenadas fuera del rango geográfico (lon −180…180, lat −90…90): {lon}, {lat}",
        "en": "coordinates out of geographic range (lon −180…180, lat −90…90): {lon}, {lat}",
    },
    "coord_swapped": {
        "es": "las coordenadas parecen invertidas (lat/lon): ({lon}, {lat}) cae en {country} al invertirlas",
        "en": "coordinates look swapped (lat/lon): ({lon}, {lat}) falls in {country} when swapped",
    },
    "coord_outside_country": {
        "es": "la ubicación ({lon}, {lat}) está fuera de {country}",
        "en": "location ({lon}, {lat}) is outside {country}",
    },
    "code_contradicts_location": {
        "es": "el código {field} «{given}» contradice la ubicación, que está en {found}",
        "en": "{field} '{given}' contradicts the location, which is in {found}",
    },
    "comuna_not_in_region": {
        "es": "la comuna {comuna} no pertenece a la región {region}",
        "en": "comuna {comuna} is not in region {region}",
    },
    "code_not_in_country": {
        "es": "«{value}» no es un código oficial de {country}",
        "en": "'{value}' is not an official code of {country}",
    },
    "codes_only_chile": {
        "es": "no hay límites administrativos instalados para {country}; deje vacíos los códigos de región y comuna",
        "en": "no administrative boundaries are installed for {country}; leave region and comuna codes empty",
    },
    "country_required": {
        "es": "indique el país, o al menos dos países en «otros países» si es multinacional",
        "en": "give the country, or at least two countries in 'other countries' if multinational",
    },
    # import
    "import_too_big": {
        "es": "el archivo pesa {size} MB, más que el límite de {limit} MB "
        "(IAP_REGISTRY_IMPORT_MAX_MB); divídalo en partes",
        "en": "the file is {size} MB, above the limit of {limit} MB "
        "(IAP_REGISTRY_IMPORT_MAX_MB); split it",
    },
    "import_too_many_rows": {
        "es": "el archivo tiene {n} filas, más que el límite de {limit} "
        "(IAP_REGISTRY_IMPORT_MAX_ROWS); divídalo en partes",
        "en": "the file has {n} rows, above the limit of {limit} "
        "(IAP_REGISTRY_IMPORT_MAX_ROWS); split it",
    },
    "import_binary": {
        "es": "el archivo no es un CSV de texto (contiene bytes binarios); expórtelo de nuevo "
        "como CSV",
        "en": "the file is not a text CSV (it holds binary bytes); export it again as CSV",
    },
    "import_not_geojson": {
        "es": "el archivo no es GeoJSON de entidades (tipo «{kind}»; se espera "
        "FeatureCollection o Feature)",
        "en": "the file is not GeoJSON features (type «{kind}»; expected FeatureCollection "
        "or Feature)",
    },
    "import_no_rows": {"es": "el archivo no tiene filas", "en": "the file has no rows"},
    "import_too_many_rows_over": {
        "es": "el archivo tiene más de {limit} filas (límite IAP_REGISTRY_IMPORT_MAX_ROWS); "
        "se dejó de leer ahí; divídalo en partes",
        "en": "the file has more than {limit} rows (limit IAP_REGISTRY_IMPORT_MAX_ROWS); "
        "reading stopped there; split it",
    },
    "import_too_many_columns": {
        "es": "el archivo tiene {n} columnas, más que el límite de {limit}; una "
        "importación usa a lo más una columna por campo (iap-registry codes los lista)",
        "en": "the file has {n} columns, above the limit of {limit}; an import uses at most "
        "one column per field (iap-registry codes lists them)",
    },
    "import_unknown_column": {
        "es": "columna desconocida: no es un campo ni su nombre en español o inglés "
        "(el diccionario de datos los lista); sus celdas no se leen",
        "en": "unknown column: not a field nor its Spanish or English name (the data "
        "dictionary lists them); its cells are not read",
    },
    "import_repeated_column": {
        "es": "columna repetida: es el mismo campo que «{first}»",
        "en": "repeated column: the same field as '{first}'",
    },
    "import_extra_cells": {
        "es": "la fila tiene {n} celdas y el encabezado {m} columnas",
        "en": "the row has {n} cells and the header {m} columns",
    },
    "import_cell_too_long": {
        "es": "una celda tiene más de {limit} caracteres; se dejó de leer ahí",
        "en": "a cell has more than {limit} characters; reading stopped there",
    },
    "import_too_deep": {
        "es": "el JSON está anidado a demasiada profundidad",
        "en": "the JSON is nested too deeply",
    },
    "import_gpkg_view": {
        "es": "la capa «{layer}» del GeoPackage es una vista u otra tabla calculada; "
        "la importación solo lee tablas (guárdela como tabla en QGIS u ogr2ogr)",
        "en": "the GeoPackage layer '{layer}' is a view or another computed table; imports "
        "read tables only (save it as a table with QGIS or ogr2ogr)",
    },
    "import_problems_more": {
        "es": "… y {n} problema(s) más (se muestran los primeros {shown})",
        "en": "… and {n} more problem(s) (the first {shown} are shown)",
    },
    "import_unreadable": {
        "es": "no se pudo leer el archivo: {reason}",
        "en": "the file could not be read: {reason}",
    },
    "import_format": {
        "es": "formato no reconocido: use .csv, .xlsx, .geojson/.json o .gpkg",
        "en": "unrecognised format: use .csv, .xlsx, .geojson/.json or .gpkg",
    },
    "import_duplicate": {
        "es": "duplicado en el archivo: {field} «{value}» ya aparece en la fila {first}",
        "en": "duplicate in the file: {field} '{value}' already appears in row {first}",
    },
    "import_bad_number": {"es": "no es un número: «{value}»", "en": "not a number: '{value}'"},
    "import_wkt": {"es": "WKT no válido: {reason}", "en": "invalid WKT: {reason}"},
    "import_both_geoms": {
        "es": "lon/lat y WKT no coinciden: indique uno de los dos (o lon/lat en la geometría "
        "WKT, como en las exportaciones)",
        "en": "lon/lat and WKT disagree: give one of them (or lon/lat on the WKT geometry, as "
        "exports do)",
    },
    "import_half_coord": {
        "es": "falta lon o lat (se necesitan ambas)",
        "en": "lon or lat is missing (both are needed)",
    },
    "import_crs": {
        "es": "el archivo está en {crs}; se reproyectó a WGS84",
        "en": "the file is in {crs}; it was reprojected to WGS84",
    },
    "import_id_unknown": {
        "es": "no existe una entrada con id {value} para actualizar",
        "en": "there is no entry with id {value} to update",
    },
    "import_failed": {
        "es": "Importación rechazada: {n} problema(s); no se escribió nada.",
        "en": "Import rejected: {n} problem(s); nothing was written.",
    },
    "import_ok": {
        "es": "{created} entrada(s) creada(s), {updated} actualizada(s), {unchanged} sin cambios.",
        "en": "{created} entry(ies) created, {updated} updated, {unchanged} unchanged.",
    },
    "mon_import_ok": {
        "es": "{created} valor(es) nuevo(s), {updated} corregido(s), {unchanged} sin cambios.",
        "en": "{created} new value(s), {updated} corrected, {unchanged} unchanged.",
    },
    "mon_import_dry_ok": {
        "es": "Validación correcta: se agregarían {created} valor(es) y corregirían {updated}; "
        "no se escribió nada.",
        "en": "Validation passed: {created} value(s) would be added and {updated} corrected; "
        "nothing was written.",
    },
    "import_dry_ok": {
        "es": "Validación correcta (--dry-run): se crearían {created} y actualizarían {updated} entrada(s); no se escribió nada.",
        "en": "Validation passed (--dry-run): {created} would be created and {updated} updated; nothing was written.",
    },
    # store
    "not_found": {"es": "no existe la entrada {id}", "en": "entry {id} does not exist"},
    "conflict": {
        "es": "Conflicto de versión: la entrada {id} está en la versión {current}, pero usted editó la versión {expected}. Otra persona la cambió ({by}, {at}). Vuelva a cargarla y repita su cambio.",
        "en": "Version conflict: entry {id} is at version {current}, but you edited version {expected}. Someone else changed it ({by}, {at}). Reload it and apply your change again.",
    },
    "deleted": {"es": "la entrada {id} está eliminada", "en": "entry {id} is deleted"},
    "version_not_found": {
        "es": "la entrada {id} no tiene versión {version}",
        "en": "entry {id} has no version {version}",
    },
    "not_allowed": {
        "es": "«{actor}» ({role}) no tiene permiso para {action}",
        "en": "'{actor}' ({role}) is not allowed to {action}",
    },
    "unknown_user": {"es": "usuario desconocido «{user}»", "en": "unknown user '{user}'"},
    "user_disabled": {
        "es": "el usuario «{user}» está desactivado",
        "en": "user '{user}' is disabled",
    },
    "user_exists": {
        "es": "el usuario «{user}» ya existe (los nombres no distinguen mayúsculas)",
        "en": "user '{user}' already exists (names ignore case)",
    },
    "first_user_admin": {
        "es": "el primer usuario de un registro debe ser administrador (--role admin): "
        "si no, nadie podría administrar los usuarios",
        "en": "the first user of a registry must be an administrator (--role admin): "
        "otherwise nobody could manage users",
    },
    "last_admin": {
        "es": "no se puede: «{user}» es el último administrador activo y el registro "
        "quedaría sin nadie que administre los usuarios; nombre antes a otro administrador",
        "en": "not possible: '{user}' is the last enabled administrator and the registry "
        "would be left with nobody to manage users; make someone else administrator first",
    },
    "session_ended": {
        "es": "su sesión terminó (su cuenta cambió: contraseña nueva o desactivada); "
        "ingrese de nuevo",
        "en": "your session has ended (your account changed: a new password, or disabled); "
        "log in again",
    },
    "bad_version": {
        "es": "versión «{value}» no válida: debe ser la versión (un número entero) de la "
        "exportación, para no pisar cambios posteriores",
        "en": "invalid version '{value}': it must be the version (a whole number) from the "
        "export, so that later changes are not overwritten",
    },
    "version_required": {
        "es": "falta la versión: una fila con id corrige ese valor y debe llevar su versión "
        "(columna version), para no pisar cambios posteriores",
        "en": "the version is missing: a row with an id corrects that value and must carry "
        "its version (column version), so that later changes are not overwritten",
    },
    "password_in_url": {
        "es": "no escriba la contraseña de la base de datos en la línea de órdenes (cualquier "
        "usuario del equipo la lee en la lista de procesos): quítela de la URL y désela "
        "con un archivo PGPASSFILE (~/.pgpass) o en IAP_REGISTRY_DB",
        "en": "do not put the database password on the command line (any user of the "
        "machine reads it in the process list): remove it from the URL and give it with a "
        "PGPASSFILE (~/.pgpass) or in IAP_REGISTRY_DB",
    },
    "db_damaged": {
        "es": "el registro {path} está dañado ({reason}) y no se puede leer con seguridad; "
        "no se escribió nada. Restaure la última copia hecha con «iap-registry backup» "
        "(guarde antes este archivo para su revisión)",
        "en": "the registry {path} is damaged ({reason}) and cannot be read safely; nothing "
        "was written. Restore the last copy made with 'iap-registry backup' (keep this file "
        "aside to examine it)",
    },
    "backup_damaged": {
        "es": "la copia escrita en {path} no pasó la verificación de integridad ({reason}); "
        "se borró",
        "en": "the copy written to {path} failed the integrity check ({reason}); it was removed",
    },
    "registry_missing": {
        "es": "no existe el registro {path}; revise la ruta, o créelo con «iap-registry init»",
        "en": "the registry {path} does not exist; check the path, or create it with "
        "'iap-registry init'",
    },
    "password_short": {
        "es": "la contraseña debe tener al menos {n} caracteres",
        "en": "the password must have at least {n} characters",
    },
    "needs_actor": {
        "es": "indique quién escribe con --as USUARIO (el registro ya tiene usuarios)",
        "en": "say who is writing with --as USERNAME (the registry has users)",
    },
    "db_locked": {
        "es": "el registro está ocupado por otra escritura; inténtelo de nuevo",
        "en": "the registry is busy with another write; try again",
    },
    "db_unopenable": {
        "es": "no se puede abrir el registro {path} ({reason}); si está en un disco de solo "
        "lectura, use una copia hecha con «iap-registry backup», que se abre sin escribir",
        "en": "the registry {path} cannot be opened ({reason}); if it is on a read-only disk, "
        "use a copy made with `iap-registry backup`, which opens without writing",
    },
    "db_unreachable": {
        "es": "no se puede usar la base de datos {url} ({reason})",
        "en": "the database {url} cannot be used ({reason})",
    },
    "copy_done": {
        "es": "copiado a {to}: {initiatives} entradas, {history} versiones en el historial, "
        "{users} usuarios, {indicator_values} valores de indicadores regionales, "
        "{monitoring} registros de seguimiento",
        "en": "copied to {to}: {initiatives} entries, {history} history versions, {users} "
        "users, {indicator_values} regional indicator values, {monitoring} monitoring records",
    },
    "copy_target_not_empty": {
        "es": "el registro de destino {url} ya tiene entradas o usuarios; use --replace para "
        "reemplazarlo entero",
        "en": "the target registry {url} already has entries or users; use --replace to "
        "replace it whole",
    },
    "db_readonly": {
        "es": "no se puede escribir en el archivo del registro ({reason})",
        "en": "the registry file cannot be written ({reason})",
    },
    "not_a_registry": {
        "es": "{path} no es un registro de iap-registry (no tiene sus tablas); revise la ruta "
        "o IAP_REGISTRY_DB",
        "en": "{path} is not an iap-registry registry (it lacks its tables); check the path "
        "or IAP_REGISTRY_DB",
    },
    "bad_set": {
        "es": "use --set CAMPO=VALOR (recibido «{value}»)",
        "en": "use --set FIELD=VALUE (got '{value}')",
    },
    "field_readonly": {
        "es": "el campo «{field}» no se puede modificar directamente",
        "en": "field '{field}' cannot be changed directly",
    },
    # rows and indicators
    "row_word": {"es": "fila", "en": "row"},
    "ind_missing_column": {
        "es": "falta la columna «{column}»; columnas requeridas: {required}",
        "en": "column '{column}' is missing; required columns: {required}",
    },
    "ind_unknown_column": {
        "es": "columna desconocida «{column}»; columnas válidas: {allowed}",
        "en": "unknown column '{column}'; valid columns: {allowed}",
    },
    "ind_unknown_region": {
        "es": "código de región desconocido «{value}» (use 00 para Chile o 01–16)",
        "en": "unknown region code '{value}' (use 00 for Chile or 01-16)",
    },
    "ind_bad_year": {
        "es": "año no válido «{value}» (entero entre 1900 y 2100)",
        "en": "invalid year '{value}' (an integer between 1900 and 2100)",
    },
    "ind_bad_period": {
        "es": "periodo desconocido «{value}»; valores válidos: vacío (año), {allowed}",
        "en": "unknown period '{value}'; valid values: empty (year), {allowed}",
    },
    "ind_bad_name": {
        "es": "nombre de indicador no válido «{value}» (letras sin tilde, dígitos y _; hasta 64)",
        "en": "invalid indicator name '{value}' (ASCII letters, digits and _; up to 64)",
    },
    "ind_reserved_name": {
        "es": "«{value}» es un indicador derivado que calcula el registro; elija otro nombre",
        "en": "'{value}' is a derived indicator computed by the registry; choose another name",
    },
    "ind_bad_value": {
        "es": "valor no numérico o no finito «{value}»",
        "en": "value is not a finite number: '{value}'",
    },
    "ind_bad_url": {
        "es": "falta la fuente o no es una URL http(s): «{value}»",
        "en": "the source is missing or not an http(s) URL: '{value}'",
    },
    "ind_duplicate": {
        "es": "clave repetida ({what}); ya aparece en la fila {first}",
        "en": "duplicate key ({what}); already in row {first}",
    },
    "ind_empty_file": {
        "es": "el archivo no tiene filas de datos",
        "en": "the file has no data rows",
    },
    "ind_rejected": {
        "es": "Archivo de indicadores rechazado ({n} problema(s)); no se cambió nada.",
        "en": "Indicators file rejected ({n} problem(s)); nothing was changed.",
    },
    "ind_imported": {
        "es": "{rows} fila(s) importada(s) en {n} serie(s): {names} (reemplazadas: {replaced})",
        "en": "{rows} row(s) imported in {n} series: {names} (replaced: {replaced})",
    },
    "ind_removed": {
        "es": "serie importada «{name}» eliminada ({rows} fila(s))",
        "en": "imported series '{name}' removed ({rows} row(s))",
    },
    "ind_not_imported": {
        "es": "no hay una serie importada «{name}» (las series incluidas no se eliminan)",
        "en": "there is no imported series '{name}' (bundled series cannot be removed)",
    },
    "ind_unknown": {
        "es": "indicador desconocido «{name}»; vea 'iap-registry indicators list'",
        "en": "unknown indicator '{name}'; see 'iap-registry indicators list'",
    },
    "ind_no_year": {
        "es": "la serie «{name}» no tiene datos para {year}; años disponibles: {years}",
        "en": "series '{name}' has no data for {year}; available years: {years}",
    },
    "ind_ambiguous_period": {
        "es": "la serie «{name}» tiene varios periodos en {year} ({periods}); elija uno con --period",
        "en": "series '{name}' has several periods in {year} ({periods}); choose one with --period",
    },
    "ind_no_national": {
        "es": "la serie «{name}» no tiene valor nacional (región 00) para {year}: no se puede decidir "
        "qué regiones están sobre o bajo el nivel nacional. Importe el valor nacional de sus insumos.",
        "en": "series '{name}' has no national value (region 00) for {year}: cannot tell which "
        "regions are above or below the national level. Import the national value of its inputs.",
    },
    "ind_same_year": {
        "es": "los años inicial y final deben ser distintos",
        "en": "the initial and final years must differ",
    },
    "stats_bad_by": {
        "es": "no se puede agrupar por «{value}»; use uno de: {allowed}",
        "en": "cannot group by '{value}'; use one of: {allowed}",
    },
    "no_value": {"es": "(sin dato)", "en": "(no value)"},
    "no_boundaries": {
        "es": "no hay límites administrativos instalados para {country}; sin contexto regional",
        "en": "no administrative boundaries are installed for {country}; no regional context",
    },
    "no_region": {
        "es": "la entrada no tiene región; sin contexto regional",
        "en": "the entry has no region; no regional context",
    },
    "ctx_title": {"es": "Contexto regional", "en": "Regional context"},
    "ctx_vs_national": {"es": "respecto de Chile", "en": "relative to Chile"},
    "ctx_derived": {"es": "derivado", "en": "derived"},
    "ctx_in_region": {"es": "En la región", "en": "In the region"},
    "ctx_in_comuna": {"es": "En la comuna", "en": "In the comuna"},
    "ctx_counts": {
        "es": "{where}: {entries} entrada(s), {initiatives} iniciativa(s), {barrios} barrio(s), "
        "{firms} empresa(s) informadas por {reported} entrada(s)",
        "en": "{where}: {entries} entries, {initiatives} initiatives, {barrios} barrios, "
        "{firms} firms reported by {reported} entries",
    },
    "stats_total": {
        "es": "{entries} entrada(s); empresas: {firms} (informadas por {reported} iniciativa(s)); "
        "negocios en barrios: {businesses} (informados por {breported} barrio(s))",
        "en": "{entries} entries; firms: {firms} (reported by {reported} initiatives); "
        "businesses in barrios: {businesses} (reported by {breported} barrios)",
    },
    "ind_years": {"es": "años", "en": "years"},
    "ind_rows": {"es": "{n} fila(s)", "en": "{n} rows"},
    "ind_periods": {"es": "periodos", "en": "periods"},
    "ind_regions": {"es": "regiones", "en": "regions"},
    "ind_origin_bundled": {"es": "incluida", "en": "bundled"},
    "ind_origin_imported": {"es": "importada", "en": "imported"},
    "ind_origin_derived": {"es": "derivada", "en": "derived"},
    "ind_rule": {
        "es": "alta: valor inicial >= valor nacional del año inicial, si no baja; "
        "en descenso: variación < 0, si no en alza",
        "en": "high: initial value >= national value of the initial year, else low; "
        "declining: change < 0, else growing",
    },
    "ind_missing": {"es": "faltan", "en": "missing"},
    "ind_unit": {"es": "unidad", "en": "unit"},
    "ind_source": {"es": "fuente", "en": "source"},
    "restricted_export": {
        "es": "solo un administrador puede exportar campos restringidos",
        "en": "only an administrator can export restricted fields",
    },
}

"""The masking of ``store.privacy`` in PostgreSQL, for the masked views and ``sgz_mask_texts``.

The functions below are a line-by-line port of ``privacy``: the same folding (per-character NFKC with
a map back to the original characters, the same spaces, invisible characters and name dots, generated
here from ``unicodedata`` and ``privacy``'s constants), the same regular expressions (``privacy.DATE``,
``privacy.DIGIT_RUN``, the masked-phone form, the quantity units), the same masks. A property test
(``tests/test_masking_sql.py``) feeds random text through both and requires the same output.

``sgz_mask_text(t, names, firsts, lens, births)`` takes the people to look for as built by
``people_sql``: the folded names as the keys of a ``jsonb`` object, their first characters, their
lengths (longest first) and the birth dates as ``jsonb`` keys (``1945-03-02``). The masked views build
them once per query from every table (the view owner reads all rows). ``sgz_mask_texts`` (security
definer) masks a list of texts with the people of the whole database for a user who sees only some
stations; it tells nothing but the masked texts.
"""

from __future__ import annotations

import sys

from ..domain import personal
from . import privacy


def _ranges(test) -> str:
    """A regular-expression bracket body of every code point (but NUL and surrogates) for which ``test`` holds."""
    out, start, prev = [], None, None
    for cp in range(1, sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if test(chr(cp)):
            if start is None:
                start = cp
            elif cp != prev + 1:
                out.append((start, prev))
                start = cp
            prev = cp
    if start is not None:
        out.append((start, prev))
    esc = lambda cp: f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"  # noqa: E731
    return "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in out)


SPACES = _ranges(privacy.is_space)  # folded to " " in text, dropped from names
OTHER_SPACES = _ranges(lambda ch: privacy.is_space(ch) and ch != " ")
INVISIBLE = _ranges(privacy.is_invisible)  # dropped from text
DOTS = "".join(f"\\u{ord(c):04x}" for c in privacy.NAME_DOTS)
# "%" written as \u0025: the driver would read a bare one as a placeholder
QUANTITY = " *(" + "|".join(privacy.QUANTITY_UNITS).replace("%", "\\u0025") + ")"
MASKED_PHONE = privacy.MASKED_PHONE.pattern


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION sgz_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT regexp_replace(normalize(t, NFKC), '[{SPACES}{INVISIBLE}{DOTS}]', '', 'g')
$$;
CREATE OR REPLACE FUNCTION sgz_fold_map(t text, drop_spaces boolean, OUT folded text, OUT pos int[])
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE i int; c text; o text; k int;
BEGIN
  IF t IS NFKC NORMALIZED AND t !~ '[{OTHER_SPACES}{INVISIBLE}]'
     AND NOT (drop_spaces AND t ~ '[ {DOTS}]') THEN
    folded := t; pos := NULL; RETURN;  -- folds to itself
  END IF;
  folded := ''; pos := '{}';
  FOR i IN 1 .. length(t) LOOP
    c := normalize(substr(t, i, 1), NFKC);
    FOR k IN 1 .. length(c) LOOP
      o := substr(c, k, 1);
      IF o ~ '[{SPACES}]' THEN
        IF drop_spaces THEN CONTINUE; END IF;
        o := ' ';
      ELSIF o ~ '[{INVISIBLE}]' OR (drop_spaces AND o ~ '[{DOTS}]') THEN
        CONTINUE;
      END IF;
      folded := folded || o; pos := pos || i;
    END LOOP;
  END LOOP;
END $$;
CREATE OR REPLACE FUNCTION sgz_mask_name(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE f text;
BEGIN
  IF t IS NULL OR t ~ '^[{SPACES}]*$' THEN RETURN t; END IF;  -- blank, as Python's strip() sees it
  f := sgz_fold(t);
  IF f = '' THEN RETURN t; END IF;
  IF length(f) = 1 THEN RETURN '*'; END IF;
  IF length(f) = 2 THEN RETURN left(f, 1) || '*'; END IF;
  RETURN left(f, 1) || repeat('*', length(f) - 2) || right(f, 1);
END $$;
CREATE OR REPLACE FUNCTION sgz_mask_phone_digits(d text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN length(d) = 11 AND left(d, 1) = '1' THEN left(d, 3) || '****' || right(d, 4)
              WHEN length(d) <= 4 THEN repeat('*', greatest(length(d), 1))
              ELSE repeat('*', length(d) - 4) || right(d, 4) END
$$;
CREATE OR REPLACE FUNCTION sgz_mask_phone(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE f text;
BEGIN
  IF t IS NULL OR t ~ '^[{SPACES}]*$' THEN RETURN t; END IF;  -- blank, as Python's strip() sees it
  f := sgz_fold(t);
  IF f ~ '^({MASKED_PHONE})$' THEN RETURN f; END IF;
  RETURN sgz_mask_phone_digits(regexp_replace(normalize(t, NFKC), '[^0-9]', '', 'g'));
END $$;
CREATE OR REPLACE FUNCTION sgz_mask_id_number(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE f text;
BEGIN
  IF t IS NULL OR t ~ '^[{SPACES}]*$' THEN RETURN t; END IF;  -- blank, as Python's strip() sees it
  f := upper(sgz_fold(t));
  IF length(f) <= 10 THEN RETURN repeat('*', length(f)); END IF;
  RETURN left(f, {REGION}) || repeat('*', length(f) - {REGION});
END $$;
CREATE OR REPLACE FUNCTION sgz_date_key(m text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE p text[]; y int; mo int; d int;
BEGIN
  p := ARRAY(SELECT x[1] FROM regexp_matches(m, '[0-9]+', 'g') x);
  IF array_length(p, 1) = 1 AND length(p[1]) = 8 THEN
    p := ARRAY[substr(p[1], 1, 4), substr(p[1], 5, 2), substr(p[1], 7, 2)];
  END IF;
  IF array_length(p, 1) IS DISTINCT FROM 3 OR length(p[1]) > 4 OR length(p[2]) > 2 OR length(p[3]) > 2 THEN
    RETURN NULL;
  END IF;
  y := p[1]::int; mo := p[2]::int; d := p[3]::int;
  IF y < 1 OR mo NOT BETWEEN 1 AND 12 OR d < 1
     OR d > extract(day FROM make_date(y, mo, 1) + interval '1 month - 1 day') THEN
    RETURN NULL;
  END IF;
  RETURN to_char(make_date(y, mo, d), 'YYYY-MM-DD');
END $$;
CREATE OR REPLACE FUNCTION sgz_mask_date(m text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT left(m, 4) || regexp_replace(substr(m, 5), '[0-9]', '*', 'g')
$$;
CREATE OR REPLACE FUNCTION sgz_mask_number(d text, births jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF length(d) IN (15, 18) THEN RETURN sgz_mask_id_number(d); END IF;
  IF length(d) < 7 OR left(d, length(d) - 1) !~ '^[0-9]*$' THEN RETURN NULL; END IF;
  IF length(d) = 8 AND left(d, 2) IN ('19', '20') AND substr(d, 5, 2)::int BETWEEN 1 AND 12
     AND substr(d, 7, 2)::int BETWEEN 1 AND 31 THEN
    IF births IS NOT NULL AND births ? coalesce(sgz_date_key(d), '') THEN RETURN sgz_mask_date(d); END IF;
    RETURN NULL;
  END IF;
  RETURN sgz_mask_phone_digits(regexp_replace(d, '[^0-9]', '', 'g'));
END $$;
CREATE OR REPLACE FUNCTION sgz_replace(t text, starts int[], ends int[], repls text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE r record; out text := ''; last int := 1;
BEGIN
  FOR r IN SELECT s, e, x FROM unnest(starts, ends, repls) AS u(s, e, x) ORDER BY s, e, x LOOP
    CONTINUE WHEN r.s < last;
    out := out || substr(t, last, r.s - last) || r.x;
    last := r.e;
  END LOOP;
  RETURN out || substr(t, last);
END $$;
CREATE OR REPLACE FUNCTION sgz_mask_numbers(t text, births jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE f text; pos int[]; scan text; n int; s int; m text; e int; d text; x text;
        starts int[] := '{}'; ends int[] := '{}'; repls text[] := '{}';
BEGIN
  IF t !~ '[0-9]' AND t IS NFKC NORMALIZED THEN RETURN t; END IF;
  SELECT folded, fm.pos INTO f, pos FROM sgz_fold_map(t, false) fm;
  IF f !~ '[0-9]' THEN RETURN t; END IF;
  scan := f;
  n := 1;
  LOOP
    s := regexp_instr(f, {DATE}, 1, n);
    EXIT WHEN s = 0;
    m := regexp_substr(f, {DATE}, 1, n);
    IF births IS NOT NULL AND births ? coalesce(sgz_date_key(m), '') THEN
      starts := starts || coalesce(pos[s], s); ends := ends || coalesce(pos[s + length(m) - 1], s + length(m) - 1) + 1;
      repls := repls || sgz_mask_date(m);
    END IF;
    scan := overlay(scan PLACING repeat('#', length(m)) FROM s FOR length(m));
    n := n + 1;
  END LOOP;
  n := 1;
  LOOP
    s := regexp_instr(scan, {DIGIT_RUN}, 1, n);
    EXIT WHEN s = 0;
    m := regexp_substr(scan, {DIGIT_RUN}, 1, n);
    n := n + 1;
    CONTINUE WHEN m ~ '^({MASKED_PHONE})$';
    e := s + length(m);
    d := regexp_replace(m, '[^0-9]', '', 'g');
    IF right(m, 1) IN ('x', 'X') THEN
      IF length(d) = 17 THEN d := d || 'X'; ELSE e := e - 1; END IF;
    END IF;
    x := sgz_mask_number(d, births);
    CONTINUE WHEN x IS NULL OR (length(d) <= 8 AND substr(scan, e) ~ '^{QUANTITY}');
    starts := starts || coalesce(pos[s], s); ends := ends || coalesce(pos[e - 1], e - 1) + 1; repls := repls || x;
  END LOOP;
  IF cardinality(starts) = 0 THEN RETURN t; END IF;
  RETURN sgz_replace(t, starts, ends, repls);
END $$;
CREATE OR REPLACE FUNCTION sgz_mask_names(t text, names jsonb, firsts text, lens int[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE f text; pos int[]; i int := 1; l int; hit int; piece text;
        starts int[] := '{}'; ends int[] := '{}'; repls text[] := '{}';
BEGIN
  IF names IS NULL OR firsts IS NULL OR NOT EXISTS (
      SELECT 1 FROM regexp_split_to_table(sgz_fold(t), '') ch WHERE strpos(firsts, ch) > 0) THEN
    RETURN t;
  END IF;
  SELECT folded, fm.pos INTO f, pos FROM sgz_fold_map(t, true) fm;
  WHILE i <= length(f) LOOP
    hit := NULL;
    IF strpos(firsts, substr(f, i, 1)) > 0 THEN
      FOREACH l IN ARRAY lens LOOP
        IF i + l - 1 <= length(f) AND names ? substr(f, i, l) THEN hit := l; EXIT; END IF;
      END LOOP;
    END IF;
    IF hit IS NOT NULL THEN
      piece := substr(f, i, hit);
      IF (names ->> piece)::boolean THEN  -- false: a name the audience shows, kept whole
        starts := starts || coalesce(pos[i], i); ends := ends || coalesce(pos[i + hit - 1], i + hit - 1) + 1;
        repls := repls || sgz_mask_name(piece);
      END IF;
      i := i + hit;
    ELSE
      i := i + 1;
    END IF;
  END LOOP;
  IF cardinality(starts) = 0 THEN RETURN t; END IF;
  RETURN sgz_replace(t, starts, ends, repls);
END $$;
CREATE OR REPLACE FUNCTION sgz_mask_text(t text, names jsonb, firsts text, lens int[], births jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN t IS NULL OR t = '' THEN t
              ELSE sgz_mask_names(sgz_mask_numbers(t, births), names, firsts, lens) END
$$;
"""


def functions_sql() -> str:
    """The ``CREATE OR REPLACE FUNCTION`` statements of the masking functions."""
    out = FUNCTIONS
    for key, value in (("{SPACES}", SPACES), ("{OTHER_SPACES}", OTHER_SPACES), ("{INVISIBLE}", INVISIBLE),
                       ("{DOTS}", DOTS), ("{MASKED_PHONE}", MASKED_PHONE), ("{REGION}", str(privacy.REGION)),
                       ("{DATE}", _lit(privacy.DATE)), ("{DIGIT_RUN}", _lit(privacy.DIGIT_RUN)),
                       ("{QUANTITY}", QUANTITY)):
        out = out.replace(key, value)
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _people_body(persons_sql: str) -> str:
    """The ``k`` row of ``sgz_mask_text``'s people: names of ``persons_sql`` (an SQL array) masked (``true``),
    the others' kept whole (``false``), first characters of all, lengths, birth dates."""
    cases = " UNION ALL ".join(
        f"SELECT {_q(f.column)} AS n, {_lit(f.person)} AS p FROM {_q(f.table)}" for f in personal.name_fields())
    births = " UNION ".join(f"SELECT to_char({_q(f.column)}, 'YYYY-MM-DD') AS d FROM {_q(f.table)} "
                            f"WHERE {_q(f.column)} IS NOT NULL" for f in personal.fields(personal.BIRTH_DATE))
    return (f"SELECT jsonb_object_agg(f, m) AS names, string_agg(left(f, 1), '') AS firsts, "
            f"array_agg(DISTINCT length(f) ORDER BY length(f) DESC) AS lens, "
            f"(SELECT jsonb_object_agg(d, true) FROM ({births}) b) AS births "
            f"FROM (SELECT sgz_fold(n) AS f, bool_or(p = ANY({persons_sql})) AS m FROM ({cases}) people "
            f"GROUP BY 1) folded WHERE length(f) >= 2")


def people_sql(persons=None) -> str:
    """A one-row query of the people ``sgz_mask_text`` looks for (names of ``persons``, default all)."""
    chosen = sorted(persons) if persons is not None else sorted(personal.PERSON_LABELS)
    return _people_body("ARRAY[" + ", ".join(_lit(p) for p in chosen) + "]::text[]")


def texts_function_sql() -> str:
    """``sgz_mask_texts(texts, persons)``: texts masked with the whole database's people (security definer)."""
    return f"""
CREATE OR REPLACE FUNCTION sgz_mask_texts(texts text[], persons text[]) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
  WITH k AS ({_people_body("persons")})
  SELECT array_agg(sgz_mask_text(u.t, k.names, k.firsts, k.lens, k.births) ORDER BY u.i)
  FROM unnest(texts) WITH ORDINALITY AS u(t, i), k
$$;
"""


MASKERS_SQL = {personal.NAME: "sgz_mask_name", personal.PHONE: "sgz_mask_phone",
               personal.ID_NUMBER: "sgz_mask_id_number"}


def column_sql(column: str, kind: str, alias: str = "r") -> str:
    """The masked value of one column in a view (``k`` is the ``people_sql`` row)."""
    ref = f"{alias}.{_q(column)}"
    if kind == personal.TEXT:
        return f"sgz_mask_text({ref}, k.names, k.firsts, k.lens, k.births) AS {_q(column)}"
    if kind == personal.BIRTH_DATE:
        return f"date_trunc('year', {ref})::date AS {_q(column)}"
    return f"{MASKERS_SQL[kind]}({ref}) AS {_q(column)}"

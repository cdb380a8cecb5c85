-- SQL and PL/pgSQL functions of the requested schemas that the spec language
-- writes: plain functions (not procedures, aggregates or window functions),
-- input arguments only, no defaults, no SETOF, no setting besides search_path;
-- not members of an extension (those are the extension's). Everything else
-- stays on the out-of-scope list. Types print with search_path = pg_catalog.
SELECT n.nspname AS schema,
       p.proname AS name,
       ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)
             ORDER BY i) AS arg_types,
       coalesce(p.proargnames, '{}'::text[]) AS arg_names,
       pg_catalog.format_type(p.prorettype, NULL) AS returns,
       l.lanname AS language,
       p.provolatile AS volatility,
       p.proisstrict AS strict,
       p.prosecdef AS security_definer,
       p.proconfig AS config,
       p.prosrc AS body,
       ds.description AS comment,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_args
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = p.oid AND ds.objsubid = 0
                                          AND ds.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass
WHERE n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
  AND p.prokind = 'f' AND l.lanname IN ('sql', 'plpgsql')
  AND NOT p.proretset AND p.proargmodes IS NULL AND p.pronargdefaults = 0
  AND p.oid NOT IN (SELECT d.objid FROM pg_catalog.pg_depend d
                    WHERE d.deptype = 'e' AND d.classid = 'pg_catalog.pg_proc'::regclass)
  AND (p.proconfig IS NULL OR (array_length(p.proconfig, 1) = 1 AND p.proconfig[1] LIKE 'search\_path=%'))
ORDER BY n.nspname, p.proname, 3;

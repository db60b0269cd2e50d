-- net-schema.sql: pg_net's SQL surface (schema `net`) for the local stand-in, where the pg_net
-- extension is not available. (Over 300 lines on purpose: libcurl's URL parsing is redone in
-- plpgsql, so that a bad URL fails in net.http_post with pg_net's own message.) Plain SQL and
-- plpgsql; no extension needed (not even pgcrypto).
--
-- Source: github.com/supabase/pg_net at commit 68ef0bf044b7a44f2e075b06609555a298ecb0bd
-- (2026-08-06, "fix: a couple of memory leaks (#273)"), extension version 0.20.4
-- (Makefile EXTVERSION = 0.20.4; the Makefile copies sql/pg_net.sql to sql/pg_net--0.20.4.sql,
-- so sql/pg_net.sql IS the install script of the latest version; the tag v0.20.5 has the same SQL
-- and still builds EXTVERSION 0.20.4). Every object below is a copy of sql/pg_net.sql, in the
-- same order, with the same names, parameter names, defaults, volatility and (absent) SECURITY
-- DEFINER, except where a comment says "EMULATION": the five C functions of pg_net
-- (src/util.c, src/worker.c) are re-implemented in plpgsql, and net.check_worker_is_up also
-- recognises our worker by its application_name.
--
-- The worker is ours (see docs/pg-net.md): it LISTENs on channel 'net_http_request_queue',
-- connects with application_name 'pg_net 0.20.4' (what pg_net's worker reports), and sends
-- the queued requests as pg_net's src/worker.c + src/core.c do.
--
-- Run once in an empty database (not idempotent, like pg_net's own script).

BEGIN;

-- sql/pg_net.sql:1
create schema if not exists net;

-- sql/pg_net.sql:3 (used as the type of http_request_queue.method)
create domain net.http_method as text
check (
  value ilike 'get'
  or value ilike 'post'
  or value ilike 'delete'
);

-- Store pending requests. The background worker reads from here
-- API: Private
-- sql/pg_net.sql:12. UNLOGGED: emptied by crash recovery, with its bigserial sequence (on
-- PostgreSQL >= 15 the sequence owned by an unlogged table is unlogged too, so ids restart at 1).
create unlogged table net.http_request_queue(
    id bigserial,
    method net.http_method not null,
    url text not null,
    headers jsonb,
    body bytea,
    timeout_milliseconds int not null
);

-- sql/pg_net.sql:21. EMULATION: pg_net looks only for its background worker
-- (backend_type 'pg_net 0.20.4 worker'); our worker is a client backend, found by the
-- application_name it sets ('pg_net 0.20.4', as pg_net's worker does via pgstat_report_appname
-- in src/worker.c pg_net_worker), in this database: pg_net has one worker per cluster, we may
-- run one per database (tests run several at once). Message, detail and hint are pg_net's.
create or replace function net.check_worker_is_up() returns void as $$
begin
  if not exists (
    select pid from pg_stat_activity
    where backend_type ilike '%pg_net%'
       or (application_name ilike 'pg_net%' and datname = current_database()) -- EMULATION: our worker's session
  ) then
    raise exception using
      message = 'the pg_net background worker is not up'
    , detail  = 'the pg_net background worker is down due to an internal error and cannot process requests'
    , hint    = 'make sure that you didn''t modify any of pg_net internal tables';
  end if;
end
$$ language plpgsql;
comment on function net.check_worker_is_up() is 'raises an exception if the pg_net background worker is not up, otherwise it doesn''t return anything';

-- Associates a response with a request
-- API: Private
-- sql/pg_net.sql:35. Written by the worker (src/core.c insert_response); rows older than
-- pg_net.ttl (default '6 hours') are deleted by the worker (src/core.c delete_expired_responses).
create unlogged table net._http_response(
    id bigint,
    status_code integer,
    content_type text,
    headers jsonb,
    content text,
    timed_out bool,
    error_msg text,
    created timestamptz not null default now()
);

-- sql/pg_net.sql:46 (index name: _http_response_created_idx)
create index on net._http_response (created);

-- Blocks until an http_request is complete
-- API: Private
-- sql/pg_net.sql:50, verbatim.
create or replace function net._await_response(
    request_id bigint
)
    returns bool
    language plpgsql
as $$
declare
    rec net._http_response;
begin
    while rec is null loop
        select *
        into rec
        from net._http_response
        where id = request_id;

        if rec is null then
            -- Wait 50 ms before checking again
            perform pg_sleep(0.05);
        end if;
    end loop;

    return true;
end;
$$;


-- url encode a string
-- API: Private
-- sql/pg_net.sql:78: `returns text language 'c' immutable` (src/util.c _urlencode_string).
-- EMULATION in plpgsql of curl_easy_escape(): every byte of the string (in the database
-- encoding) except ALPHA / DIGIT / "-" / "." / "_" / "~" becomes %XX with upper-case hex;
-- NULL in, NULL out (the C function returns NULL for a NULL argument).
create or replace function net._urlencode_string(string varchar)
    -- url encoded string
    returns text
    language plpgsql
    immutable
as $$
declare
    raw bytea;
begin
    if string is null then
        return null;
    end if;
    raw := pg_catalog.convert_to(string::text, pg_catalog.getdatabaseencoding());
    return coalesce((
        select pg_catalog.string_agg(
                 case
                   when b between 48 and 57 or b between 65 and 90 or b between 97 and 122
                        or b in (45, 46, 95, 126)
                     then pg_catalog.chr(b)
                   else '%' || pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(b), 2, '0'))
                 end, '' order by i)
        from (select i, pg_catalog.get_byte(raw, i) as b
              from pg_catalog.generate_series(0, pg_catalog.length(raw) - 1) as i) as bytes
    ), '');
end;
$$;

-- API: Private
-- sql/pg_net.sql:86: `returns text language 'c' immutable` (src/util.c
-- _encode_url_with_params_array): NULL if either argument is NULL; otherwise
--   CURLU *h = curl_url(); curl_url_set(h, CURLUPART_URL, url, 0);
--   for each non-NULL param: curl_url_set(h, CURLUPART_QUERY, param, CURLU_APPENDQUERY);
--   curl_url_get(h, CURLUPART_URL, &full_url, 0);
-- with ERROR 'invalid URL "<url>": <curl_url_strerror>' (SQLSTATE XX000, as ereport(ERROR)
-- without errcode) when libcurl refuses the URL (src/errors.h EREPORT_CURL_URL_SET).
-- EMULATION in plpgsql of that libcurl URL API path (curl lib/urlapi.c: junkscan,
-- Curl_is_absolute_url, parseurl, parse_authority, Curl_parse_port, ipv4_normalize, ipv6_parse,
-- urldecode_host, hostname_check, dedotdotify, curl_url_set(QUERY, APPENDQUERY), curl_url_get(URL)).
-- What it reproduces: the errors for blank/control/space characters ("Malformed input to a URL
-- function"), a missing scheme ("Bad scheme", e.g. '/malformed_url'), an unknown scheme
-- ("Unsupported URL scheme", e.g. 'localhost:6666'), 0 or >3 slashes, an empty host, a bad port or
-- hostname or IPv6 address; the normalisations: lower-case scheme, '/' for an empty path,
-- "./" and "../" removed, port without leading zeros, an empty port dropped, numeric IPv4 forms
-- (127.1, 0x7f.1, 2130706433) written as a.b.c.d, %XX in a hostname decoded, a blank "?" or "#"
-- dropped, appended params joined with '&' (none added after a trailing '&') and inserted before
-- any #fragment, and %XX in an appended param lower-cased (curl_url_set does this to parts set
-- without CURLU_URLENCODE; older libcurl may keep the case). Not reproduced: IDN, the set of
-- schemes of a particular libcurl build (the list below is a typical full build's), ';options'
-- in the login of imap/pop3/smtp URLs, and file:// URLs beyond the basic shape (the worker
-- refuses every non-http(s) URL anyway: "Unsupported protocol").
create or replace function net._encode_url_with_params_array(url text, params_array text[])
    -- url encoded string
    returns text
    language plpgsql
    immutable
as $$
declare
    max_input constant int := 8000000; -- CURL_MAX_INPUT_LENGTH
    known_schemes constant text[] := array[
      'dict', 'file', 'ftp', 'ftps', 'gopher', 'gophers', 'http', 'https', 'imap', 'imaps',
      'ldap', 'ldaps', 'mqtt', 'pop3', 'pop3s', 'rtmp', 'rtmpe', 'rtmps', 'rtmpt', 'rtmpte',
      'rtmpts', 'rtsp', 'scp', 'sftp', 'smb', 'smbs', 'smtp', 'smtps', 'telnet', 'tftp', 'ws', 'wss'];
    enc constant text := pg_catalog.getdatabaseencoding();
    scheme text;
    rest text;
    slashes int;
    authority text;
    userinfo text;
    host text;
    port text;
    zoneid text;
    inner_host text;
    addr text;
    ip inet;
    pos int;
    path text;
    query text;
    fragment text;
    parts text[];
    part text;
    digits text;
    base int;
    val numeric;
    nums numeric[];
    decoded bytea;
    b int;
    i int;
    is_ipv4 boolean;
    param text;
    normalized text;
    input text;
    output text;
    seg text;
    dotdot boolean;
    invalid constant text := 'invalid URL "%s": %s';
begin
    if url is null or params_array is null then
        return null;
    end if;

    -- curl_url_set(CURLUPART_URL): too long or blank; junkscan(): bytes 0x01-0x1f, 0x7f, space
    if pg_catalog.octet_length(url) > max_input or url = '' or url ~ '[\x01-\x1f\x7f ]' then
        raise exception using errcode = 'XX000',
          message = pg_catalog.format(invalid, url, 'Malformed input to a URL function');
    end if;

    -- Curl_is_absolute_url(): ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (under 40 chars)
    scheme := substring(url from '^([A-Za-z][A-Za-z0-9+.-]{0,38}):');
    if scheme is null then
        raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad scheme');
    end if;
    rest := pg_catalog.substr(url, pg_catalog.length(scheme) + 2);
    scheme := pg_catalog.lower(scheme);

    if scheme = 'file' then
        -- parseurl(), file: branch (simplified; see above)
        if pg_catalog.octet_length(url) <= 6 then
            raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad file:// URL');
        end if;
        path := rest;
        if pg_catalog.left(path, 2) = '//' then
            path := pg_catalog.substr(path, 3);
            if pg_catalog.left(path, 1) <> '/' and path !~ '^[A-Za-z][:|]([/\\]|$)' then
                if pg_catalog.lower(pg_catalog.left(path, 10)) in ('localhost/', '127.0.0.1/') then
                    path := pg_catalog.substr(path, 10);
                else
                    raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad file:// URL');
                end if;
            end if;
        end if;
        if path ~ '^/?[A-Za-z][:|]([/\\]|$)' then
            raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad file:// URL');
        end if;
    else
        if not (scheme = any (known_schemes)) then
            raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Unsupported URL scheme');
        end if;
        slashes := pg_catalog.length(substring(rest from '^/{0,4}'));
        if slashes < 1 or slashes > 3 then
            raise exception using errcode = 'XX000',
              message = pg_catalog.format(invalid, url, 'Unsupported number of slashes following scheme');
        end if;
        rest := pg_catalog.substr(rest, slashes + 1);
        authority := substring(rest from '^[^/?#]*');
        path := pg_catalog.substr(rest, pg_catalog.length(authority) + 1);
        if authority = '' then
            raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'No host part in the URL');
        end if;

        -- parse_hostname_login(): login is everything before the first '@'
        pos := pg_catalog.strpos(authority, '@');
        if pos > 0 then
            userinfo := pg_catalog.left(authority, pos - 1);
            host := pg_catalog.substr(authority, pos + 1);
        else
            host := authority;
        end if;

        -- Curl_parse_port()
        if pg_catalog.left(host, 1) = '[' then
            pos := pg_catalog.strpos(host, ']');
            if pos = 0 then
                raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad IPv6 address');
            end if;
            if pos < pg_catalog.length(host) then
                if pg_catalog.substr(host, pos + 1, 1) <> ':' then
                    raise exception using errcode = 'XX000',
                      message = pg_catalog.format(invalid, url, 'Port number was not a decimal number between 0 and 65535');
                end if;
                port := pg_catalog.substr(host, pos + 2);
                host := pg_catalog.left(host, pos);
            end if;
        else
            pos := pg_catalog.strpos(host, ':');
            if pos > 0 then
                port := pg_catalog.substr(host, pos + 1);
                host := pg_catalog.left(host, pos - 1);
            end if;
        end if;
        if port = '' then
            port := null; -- "http://host:/" : a colon without digits is ignored when there is a scheme
        elsif port is not null then
            if port !~ '^[0-9]+$' or port::numeric > 65535 then
                raise exception using errcode = 'XX000',
                  message = pg_catalog.format(invalid, url, 'Port number was not a decimal number between 0 and 65535');
            end if;
            port := (port::numeric)::int::text;
        end if;
        if host = '' then
            raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'No host part in the URL');
        end if;

        if pg_catalog.left(host, 1) = '[' then
            -- ipv6_parse()
            if pg_catalog.length(host) < 4 then
                raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad IPv6 address');
            end if;
            inner_host := pg_catalog.substr(host, 2, pg_catalog.length(host) - 2);
            addr := substring(inner_host from '^[0-9a-fA-F:.]*');
            if addr <> inner_host then
                if pg_catalog.substr(inner_host, pg_catalog.length(addr) + 1, 1) <> '%' then
                    raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad IPv6 address');
                end if;
                zoneid := pg_catalog.substr(inner_host, pg_catalog.length(addr) + 2);
                if pg_catalog.left(zoneid, 2) = '25' and pg_catalog.length(zoneid) > 2 then
                    zoneid := pg_catalog.substr(zoneid, 3);
                end if;
                if zoneid = '' or pg_catalog.length(zoneid) > 15 then
                    raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad IPv6 address');
                end if;
            end if;
            begin
                ip := addr::inet;
            exception when others then
                ip := null;
            end;
            if ip is null or pg_catalog.family(ip) <> 6 then
                raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad IPv6 address');
            end if;
            host := '[' || pg_catalog.host(ip) || coalesce('%25' || zoneid, '') || ']';
        else
            -- ipv4_normalize(): 1 to 4 parts, each decimal, 0x-hex or 0-octal (strtoul base 0)
            parts := pg_catalog.string_to_array(host, '.');
            is_ipv4 := pg_catalog.cardinality(parts) <= 4;
            nums := '{}';
            if is_ipv4 then
                foreach part in array parts loop
                    if part ~ '^0[xX][0-9A-Fa-f]+$' then
                        digits := pg_catalog.substr(part, 3); base := 16;
                    elsif part ~ '^0[0-7]*$' then
                        digits := part; base := 8;
                    elsif part ~ '^[1-9][0-9]*$' then
                        digits := part; base := 10;
                    else
                        is_ipv4 := false;
                        exit;
                    end if;
                    val := 0;
                    for i in 1 .. pg_catalog.length(digits) loop
                        val := val * base + pg_catalog.strpos('0123456789abcdef', pg_catalog.lower(pg_catalog.substr(digits, i, 1))) - 1;
                        exit when val > 4294967295;
                    end loop;
                    if val > 4294967295 then
                        is_ipv4 := false;
                        exit;
                    end if;
                    nums := nums || val;
                end loop;
            end if;
            if is_ipv4 then
                case pg_catalog.cardinality(nums)
                when 1 then
                    nums := array[pg_catalog.div(nums[1], 16777216), pg_catalog.mod(pg_catalog.div(nums[1], 65536), 256),
                                  pg_catalog.mod(pg_catalog.div(nums[1], 256), 256), pg_catalog.mod(nums[1], 256)];
                when 2 then
                    if nums[1] > 255 or nums[2] > 16777215 then
                        is_ipv4 := false;
                    else
                        nums := array[nums[1], pg_catalog.div(nums[2], 65536), pg_catalog.mod(pg_catalog.div(nums[2], 256), 256),
                                      pg_catalog.mod(nums[2], 256)];
                    end if;
                when 3 then
                    if nums[1] > 255 or nums[2] > 255 or nums[3] > 65535 then
                        is_ipv4 := false;
                    else
                        nums := array[nums[1], nums[2], pg_catalog.div(nums[3], 256), pg_catalog.mod(nums[3], 256)];
                    end if;
                else
                    if nums[1] > 255 or nums[2] > 255 or nums[3] > 255 or nums[4] > 255 then
                        is_ipv4 := false;
                    end if;
                end case;
            end if;
            if is_ipv4 then
                host := pg_catalog.array_to_string(nums, '.');
            else
                -- urldecode_host(): %XX decoded, a decoded control byte (< 0x20) is a bad hostname
                if pg_catalog.strpos(host, '%') > 0 then
                    decoded := ''::bytea;
                    i := 1;
                    while i <= pg_catalog.length(host) loop
                        if pg_catalog.substr(host, i, 1) = '%' and pg_catalog.substr(host, i + 1, 2) ~ '^[0-9A-Fa-f]{2}$' then
                            b := pg_catalog.get_byte(pg_catalog.decode(pg_catalog.substr(host, i + 1, 2), 'hex'), 0);
                            if b < 32 then
                                raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad hostname');
                            end if;
                            decoded := decoded || pg_catalog.decode(pg_catalog.substr(host, i + 1, 2), 'hex');
                            i := i + 3;
                        else
                            decoded := decoded || pg_catalog.convert_to(pg_catalog.substr(host, i, 1), enc);
                            i := i + 1;
                        end if;
                    end loop;
                    begin
                        host := pg_catalog.convert_from(decoded, enc);
                    exception when others then -- not valid in the database encoding
                        raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad hostname');
                    end;
                end if;
                -- hostname_check()
                if pg_catalog.length(pg_catalog.translate(host, E' \r\n\t/:#?!@{}[]\\$''"^`*<>=;,+&()%', ''))
                   <> pg_catalog.length(host) then
                    raise exception using errcode = 'XX000', message = pg_catalog.format(invalid, url, 'Bad hostname');
                end if;
            end if;
        end if;
    end if;

    -- parseurl(): fragment from the first '#', query from the first '?' before it; blank ones
    -- are "present" but not written back by curl_url_get()
    pos := pg_catalog.strpos(path, '#');
    if pos > 0 then
        fragment := nullif(pg_catalog.substr(path, pos + 1), '');
        path := pg_catalog.left(path, pos - 1);
    end if;
    pos := pg_catalog.strpos(path, '?');
    if pos > 0 then
        query := pg_catalog.substr(path, pos + 1);
        path := pg_catalog.left(path, pos - 1);
    end if;
    if pg_catalog.length(path) <= 1 then
        path := null; -- written as "/"
    elsif pg_catalog.strpos(path, '.') > 0 then
        -- dedotdotify(): RFC 3986 5.2.4 remove_dot_segments
        input := path;
        output := '';
        while input <> '' loop
            dotdot := true;
            if pg_catalog.left(input, 1) = '.' then
                if pg_catalog.left(input, 2) = './' then
                    input := pg_catalog.substr(input, 3);
                elsif pg_catalog.left(input, 3) = '../' then
                    input := pg_catalog.substr(input, 4);
                elsif input in ('.', '..') then
                    output := '';
                    exit;
                else
                    dotdot := false;
                end if;
            elsif pg_catalog.left(input, 1) = '/' then
                if pg_catalog.left(input, 3) = '/./' then
                    input := pg_catalog.substr(input, 3);
                elsif input = '/.' then
                    output := output || '/';
                    exit;
                elsif pg_catalog.left(input, 4) = '/../' or input = '/..' then
                    -- remove the last segment and its "/" from the output
                    if pg_catalog.strpos(output, '/') = 0 then
                        output := '';
                    else
                        output := pg_catalog.regexp_replace(output, '/[^/]*$', '');
                    end if;
                    if input = '/..' then
                        output := output || '/';
                        exit;
                    end if;
                    input := pg_catalog.substr(input, 4);
                else
                    dotdot := false;
                end if;
            else
                dotdot := false;
            end if;
            if not dotdot then
                seg := substring(input from '^.[^/]*');
                output := output || seg;
                input := pg_catalog.substr(input, pg_catalog.length(seg) + 1);
            end if;
        end loop;
        path := output;
    end if;

    -- curl_url_set(h, CURLUPART_QUERY, param, CURLU_APPENDQUERY) for each param
    foreach param in array params_array loop
        continue when param is null;
        if pg_catalog.octet_length(param) > max_input then
            raise exception using errcode = 'XX000',
              message = pg_catalog.format(invalid, param, 'Malformed input to a URL function');
        end if;
        -- "make sure percent encoded are lower case"
        normalized := param;
        if pg_catalog.strpos(param, '%') > 0 then
            normalized := '';
            i := 1;
            while i <= pg_catalog.length(param) loop
                if pg_catalog.substr(param, i, 1) = '%' and pg_catalog.substr(param, i + 1, 2) ~ '^[0-9A-Fa-f]{2}$' then
                    normalized := normalized || '%' || pg_catalog.lower(pg_catalog.substr(param, i + 1, 2));
                    i := i + 3;
                else
                    normalized := normalized || pg_catalog.substr(param, i, 1);
                    i := i + 1;
                end if;
            end loop;
        end if;
        if coalesce(query, '') <> '' then
            query := query || case when pg_catalog.right(query, 1) = '&' then '' else '&' end || normalized;
        else
            query := normalized;
        end if;
    end loop;

    -- curl_url_get(h, CURLUPART_URL, &full_url, 0)
    if scheme = 'file' then
        return 'file://' || coalesce(path, '/') || coalesce('#' || fragment, ''); -- curl drops the query of file: URLs
    end if;
    return scheme || '://'
        || coalesce(userinfo || '@', '')
        || host
        || coalesce(':' || port, '')
        || coalesce(path, '/')
        || case when coalesce(query, '') <> '' then '?' || query else '' end
        || coalesce('#' || fragment, '');
end;
$$;

-- sql/pg_net.sql:93: `returns bool language 'c'` (src/worker.c worker_restart: pg_reload_conf(),
-- then flags the worker to exit; the postmaster restarts it after 1 s).
-- EMULATION: notifies our worker (payload 'restart') and returns true. It does not call
-- pg_reload_conf(), which a non-superuser may not call from SQL (the C function bypasses that).
create or replace function net.worker_restart()
  returns bool
  language plpgsql
as $$
begin
  perform pg_catalog.pg_notify('net_http_request_queue', 'restart');
  return true;
end;
$$;

-- sql/pg_net.sql:98: `returns void language 'c'` (src/worker.c wait_until_running: sleeps on a
-- condition variable until the worker publishes WS_RUNNING).
-- EMULATION: polls pg_stat_activity every 50 ms until our worker's session is there.
create or replace function net.wait_until_running()
  returns void
  language plpgsql
as $$
begin
  loop
    perform pg_catalog.pg_stat_clear_snapshot(); -- pg_stat_activity is otherwise frozen for the transaction
    exit when exists (
      select from pg_catalog.pg_stat_activity
      where backend_type ilike '%pg_net%' or (application_name ilike 'pg_net%' and datname = current_database()));
    perform pg_catalog.pg_sleep(0.05);
  end loop;
end;
$$;
comment on function net.wait_until_running() is 'waits until the worker is running';

-- sql/pg_net.sql:104: `returns void language 'c'` (src/worker.c wake: registers a transaction
-- callback that sets the worker's latch at COMMIT, once per transaction; nothing on ROLLBACK
-- or PREPARE).
-- EMULATION (ours, not pg_net's): pg_notify on channel 'net_http_request_queue'. NOTIFY has the
-- same transactional shape: delivered only at commit, never for a rolled-back transaction, and
-- folded to one notification per transaction (same channel and payload). Difference: a
-- transaction that has notified cannot be PREPAREd, where pg_net's wake is merely lost.
create or replace function net.wake()
  returns void
  language plpgsql
as $$
begin
  perform pg_catalog.pg_notify('net_http_request_queue', '');
end;
$$;

-- Interface to make an async request
-- API: Public
-- sql/pg_net.sql:111, verbatim (plpgsql in pg_net too): VOLATILE, SECURITY INVOKER, not strict.
create or replace function net.http_get(
    -- url for the request
    url text,
    -- key/value pairs to be url encoded and appended to the `url`
    params jsonb default '{}'::jsonb,
    -- key/values to be included in request headers
    headers jsonb default '{}'::jsonb,
    -- the maximum number of milliseconds the request may take before being cancelled
    timeout_milliseconds int default 5000
)
    -- request_id reference
    returns bigint
    language plpgsql
as $$
declare
    request_id bigint;
    params_array text[];
begin
    select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);

    -- Add to the request queue
    insert into net.http_request_queue(method, url, headers, timeout_milliseconds)
    values (
        'GET',
        net._encode_url_with_params_array(url, params_array),
        headers,
        timeout_milliseconds
    )
    returning id
    into request_id;

    perform net.wake();

    return request_id;
end
$$;

-- Interface to make an async request
-- API: Public
-- sql/pg_net.sql:152, verbatim: VOLATILE, SECURITY INVOKER, not strict. Its only checks:
-- headers must be a JSON object or NULL (else jsonb_each_text's "cannot call jsonb_each_text on
-- a non-object", 22023); a Content-Type header (any key case) must be exactly
-- 'application/json' (else P0001 'Content-Type header must be "application/json"'); a missing
-- one is added as "Content-Type": "application/json" (but headers => NULL stays NULL);
-- params must be an object or NULL; url NULL fails the NOT NULL of the queue (23502). The body
-- may be any jsonb (object, array, scalar) or NULL (sent as an empty POST); it is queued as
-- convert_to(body::text, 'UTF8'), i.e. jsonb's canonical text ({"a": 1}).
create or replace function net.http_post(
    -- url for the request
    url text,
    -- body of the POST request
    body jsonb default '{}'::jsonb,
    -- key/value pairs to be url encoded and appended to the `url`
    params jsonb default '{}'::jsonb,
    -- key/values to be included in request headers
    headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
    -- the maximum number of milliseconds the request may take before being cancelled
    timeout_milliseconds int DEFAULT 5000
)
    -- request_id reference
    returns bigint
    language plpgsql
as $$
declare
    request_id bigint;
    params_array text[];
    content_type text;
begin

    -- Exctract the content_type from headers
    select
        header_value into content_type
    from
        jsonb_each_text(coalesce(headers, '{}'::jsonb)) r(header_name, header_value)
    where
        lower(header_name) = 'content-type'
    limit
        1;

    -- If the user provided new headers and omitted the content type
    -- add it back in automatically
    if content_type is null then
        select headers || '{"Content-Type": "application/json"}'::jsonb into headers;
    end if;

    -- Confirm that the content-type is set as "application/json"
    if content_type <> 'application/json' then
        raise exception 'Content-Type header must be "application/json"';
    end if;

    select
        coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into
        params_array
    from
        jsonb_each_text(params);

    -- Add to the request queue
    insert into net.http_request_queue(method, url, headers, body, timeout_milliseconds)
    values (
        'POST',
        net._encode_url_with_params_array(url, params_array),
        headers,
        convert_to(body::text, 'UTF8'),
        timeout_milliseconds
    )
    returning id
    into request_id;

    perform net.wake();

    return request_id;
end
$$;

-- Interface to make an async request
-- API: Public
-- sql/pg_net.sql:222, verbatim: VOLATILE, SECURITY INVOKER, not strict. No Content-Type is
-- added: with a body, libcurl sends "Content-Type: application/x-www-form-urlencoded" unless
-- the headers give one.
create or replace function net.http_delete(
    -- url for the request
    url text,
    -- key/value pairs to be url encoded and appended to the `url`
    params jsonb default '{}'::jsonb,
    -- key/values to be included in request headers
    headers jsonb default '{}'::jsonb,
    -- the maximum number of milliseconds the request may take before being cancelled
    timeout_milliseconds int default 5000,
    -- optional body of the request
    body jsonb default NULL
)
    -- request_id reference
    returns bigint
    language plpgsql
as $$
declare
    request_id bigint;
    params_array text[];
begin
    select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
    into params_array
    from jsonb_each_text(params);

    -- Add to the request queue
    insert into net.http_request_queue(method, url, headers, body, timeout_milliseconds)
    values (
        'DELETE',
        net._encode_url_with_params_array(url, params_array),
        headers,
        convert_to(body::text, 'UTF8'),
        timeout_milliseconds
    )
    returning id
    into request_id;

    perform net.wake();

    return request_id;
end
$$;

-- Lifecycle states of a request (all protocols)
-- API: Public
-- sql/pg_net.sql:266
create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');


-- A response from an HTTP server
-- API: Public
-- sql/pg_net.sql:271
create type net.http_response AS (
    status_code integer,
    headers jsonb,
    body text
);

-- State wrapper around responses
-- API: Public
-- sql/pg_net.sql:279
create type net.http_response_result as (
    status net.request_status,
    message text,
    response net.http_response
);


-- Collect respones of an http request
-- API: Private
-- sql/pg_net.sql:288, verbatim. ERROR (with error_msg) also for a transport failure or timeout.
create or replace function net._http_collect_response(
    -- request_id reference
    request_id bigint,
    -- when `true`, return immediately. when `false` wait for the request to complete before returning
    async bool default true
)
    -- http response composite wrapped in a result type
    returns net.http_response_result
    language plpgsql
as $$
declare
    rec net._http_response;
    req_exists boolean;
begin

    if not async then
        perform net._await_response(request_id);
    end if;

    select *
    into rec
    from net._http_response
    where id = request_id;

    if rec is null or rec.error_msg is not null then
        -- The request is either still processing or the request_id provided does not exist

        -- TODO: request in progress is indistinguishable from request that doesn't exist

        -- No request matching request_id found
        return (
            'ERROR',
            coalesce(rec.error_msg, 'request matching request_id not found'),
            null
        )::net.http_response_result;

    end if;

    -- Return a valid, populated http_response_result
    return (
        'SUCCESS',
        'ok',
        (
            rec.status_code,
            rec.headers,
            rec.content
        )::net.http_response
    )::net.http_response_result;
end;
$$;

-- sql/pg_net.sql:339, verbatim, including its defect: the bare `select` has no INTO, so after
-- the notice every call fails with "query has no destination for result data" (42601), in
-- pg_net 0.20.4 as here.
create or replace function net.http_collect_response(
    -- request_id reference
    request_id bigint,
    -- when `true`, return immediately. when `false` wait for the request to complete before returning
    async bool default true
)
    -- http response composite wrapped in a result type
    returns net.http_response_result
    language plpgsql
as $$
begin
  raise notice 'The net.http_collect_response function is deprecated.';
  select net._http_collect_response(request_id, async);
end;
$$;

-- sql/pg_net.sql:355
grant usage on schema net to PUBLIC;
grant all on all sequences in schema net to PUBLIC;
grant all on all tables in schema net to PUBLIC;

COMMIT;

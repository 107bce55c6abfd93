-- One-time database bootstrap, run as a superuser (or a role with CREATEROLE) before the first start.
-- VirtDevice runs this itself for its embedded PostgreSQL; for an external server run it with psql:
--   psql -h HOST -U postgres -f roles.sql
-- then:  ALTER ROLE virtdevice_owner PASSWORD '...';  ALTER ROLE virtdevice_app PASSWORD '...';
--        CREATE DATABASE virtdevice OWNER virtdevice_owner;
--
-- virtdevice_owner   owns every object; Flyway migrations log in as it.
-- virtdevice_app     the only role the running application logs in as: owns nothing, no SUPERUSER,
--                    no BYPASSRLS, row-level security is forced on every tenant table it can reach.
-- virtdevice_definer owns the few SECURITY DEFINER functions that must cross tenants (token hash to
--                    user, login by email, ...). It cannot log in and only sees what its grants allow.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'virtdevice_owner') THEN
    CREATE ROLE virtdevice_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'virtdevice_app') THEN
    CREATE ROLE virtdevice_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'virtdevice_definer') THEN
    CREATE ROLE virtdevice_definer NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
-- The owner hands function ownership to the definer role, so it must be a member of it.
GRANT virtdevice_definer TO virtdevice_owner;

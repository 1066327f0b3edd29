-- Drops every table, type, function and extension of the application, and the migration
-- bookkeeping, leaving an empty public schema for the migrations to fill again.
-- Parameters: none (run as one batch by `ctodb migrate reset --force`).
DROP SCHEMA IF EXISTS public CASCADE;
CREATE SCHEMA public;
DROP SCHEMA IF EXISTS ctodb CASCADE;
DROP SCHEMA IF EXISTS ctodb_as_of CASCADE;

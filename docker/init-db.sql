-- docker/init-db.sql: run once by the postgres image when the volume is new.
-- Create the dab schema (migrations also create it if it is missing).
CREATE SCHEMA IF NOT EXISTS dab AUTHORIZATION dab;

-- Grant permissions
GRANT ALL PRIVILEGES ON SCHEMA dab TO dab;
GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA dab TO dab;
GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA dab TO dab;

-- Set default search path
ALTER USER dab SET search_path TO dab, public;

-- Trigram search for the catalog's search box (the migration also enables it when it may).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

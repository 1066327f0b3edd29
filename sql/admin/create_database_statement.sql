-- Builds the CREATE DATABASE statement for a name, quoted by the server (%I), since
-- CREATE DATABASE takes no bound parameters.
-- Parameters: $1 database name.
SELECT format('CREATE DATABASE %I', $1::text) AS statement

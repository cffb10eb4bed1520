"""Infrastructure: settings, the connection pools, SQL files and prepared statements, migrations."""

"""The cogs `NewsBot` loads in `setup_hook`: one module per group of slash commands."""

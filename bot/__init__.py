"""The application shell: settings, the PTB Application, the CLI, background workers."""

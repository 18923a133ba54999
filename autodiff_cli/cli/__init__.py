"""The command-line layer: argv, options, help, completion and the commands' bodies,
over the library (which never imports this package)."""

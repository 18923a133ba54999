from autodiff_cli.cli import run

run()

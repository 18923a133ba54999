from autodiff_cli.cli.main import run

run()

from autodiff_cli.main import run

run()

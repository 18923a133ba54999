from autodiff_cli.cli.start import run

run()

"""toolsmith.shared: base model, FunctionGemma format, trainer, export, runner, eval, CLI."""

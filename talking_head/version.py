"""The package's version, in a module of its own: the parts that name it (the CLI, the API, webhooks, avatar
bundles) need not import the package's top, which imports the pipeline."""

__version__ = "0.1.0"
